const { TestScheduler } = require('rxjs/testing');
const op = require('rxjs/operators');
const { combineLatest, merge, concat, timer } = require('rxjs');

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const gaps = Array.from({ length: 40 }, (_x, i) => i + 4);

describe('rxjs time operators with the TestScheduler (marble tests)', () => {
  test.each(gaps)('debounceTime and throttleTime, %i frames', (n) => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold(`a ${n}ms b ${n}ms c|`);
      expectObservable(src.pipe(op.debounceTime(n * 2))).toBe(`${2 * n + 3}ms (c|)`);
      expectObservable(src.pipe(op.throttleTime(n * 4))).toBe(`a ${2 * n + 2}ms |`);
    });
  });
  test.each(gaps)('delay, timer and switchMap, %i frames', (n) => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(op.delay(n))).toBe(`${n}ms (a|)`);
      expectObservable(timer(n)).toBe(`${n}ms (z|)`, { z: 0 });
      expectObservable(cold('a|').pipe(op.switchMap(() => timer(n).pipe(op.map(() => 'x'))))).toBe(`${n}ms (x|)`);
    });
  });
  test.each(gaps)('merge, concat and combineLatest, %i frames', (n) => {
    scheduler().run(({ cold, expectObservable }) => {
      const a = cold(`a ${n}ms |`);
      const b = cold(`b ${n}ms |`);
      expectObservable(merge(a, b)).toBe(`(ab) ${n - 3}ms |`);
      expectObservable(concat(a, b)).toBe(`a ${n}ms b ${n}ms |`);
      expectObservable(combineLatest([a, b]).pipe(op.map(([x, y]) => x + y))).toBe(`x ${n}ms |`, { x: 'ab' });
    });
  });
});
