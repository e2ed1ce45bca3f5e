const _ = require('lodash');

describe('lodash functions', () => {
  test.each(_.range(1, 50))('memoize caches by the resolver, %i', (n) => {
    let calls = 0;
    const fib = _.memoize((k) => (calls++, k < 2 ? k : fib(k - 1) + fib(k - 2)));
    fib(n + 20);
    expect(calls).toBe(n + 21);
    expect(fib(n + 20)).toBe(fib(n + 19) + fib(n + 18));
  });
  test.each(_.range(1, 40))('curry, partial, flow and compose, %i', (n) => {
    const add3 = _.curry((a, b, c) => a + b + c);
    expect(add3(n)(1)(2)).toBe(n + 3);
    expect(_.partial(add3, n, n)(n)).toBe(3 * n);
    const f = _.flow([(x) => x + 1, (x) => x * 2]);
    const g = _.flowRight([(x) => x + 1, (x) => x * 2]);
    expect(f(n)).toBe((n + 1) * 2);
    expect(g(n)).toBe(n * 2 + 1);
  });
  test.each(_.range(1, 40))('once, after, before and ary, %i', (n) => {
    const once = _.once(() => n);
    expect([once(), once()]).toEqual([n, n]);
    let fired = 0;
    const after = _.after(n, () => fired++);
    for (let i = 0; i < n * 2; i++) after();
    expect(fired).toBe(n + 1);
    expect(['1', '2', '3'].map(_.ary(parseInt, 1))).toEqual([1, 2, 3]);
  });
  test.each(_.range(0, 20))('debounce and throttle on fake timers, %i', (n) => {
    jest.useFakeTimers();
    const d = jest.fn();
    const t = jest.fn();
    const debounced = _.debounce(d, 100);
    const throttled = _.throttle(t, 100);
    for (let i = 0; i < 50 + n; i++) {
      debounced();
      throttled();
      jest.advanceTimersByTime(10);
    }
    jest.runAllTimers();
    expect(d).toHaveBeenCalledTimes(1);
    expect(t.mock.calls.length).toBeGreaterThan(3);
    jest.useRealTimers();
  });
});
