const { throwError, of, defer, lastValueFrom, EMPTY, NEVER } = require('rxjs');
const op = require('rxjs/operators');

const tries = Array.from({ length: 50 }, (_x, i) => i % 6);

describe('rxjs error handling', () => {
  test.each(tries)('retry succeeds after %i failures', async (n) => {
    let attempts = 0;
    const src = defer(() => (attempts++ < n ? throwError(() => new Error('boom')) : of('ok')));
    expect(await lastValueFrom(src.pipe(op.retry(n)))).toBe('ok');
    expect(attempts).toBe(n + 1);
  });
  test.each(tries)('catchError and finalize, %i', async (n) => {
    let finalized = false;
    const r = await lastValueFrom(of(n).pipe(op.map((x) => { if (x % 2) throw new Error('odd'); return x; }), op.catchError(() => of(-1)), op.finalize(() => { finalized = true; })));
    expect(r).toBe(n % 2 ? -1 : n);
    expect(finalized).toBe(true);
  });
  test.each(tries)('defaultIfEmpty, throwIfEmpty and timeout, %i', async (n) => {
    expect(await lastValueFrom(EMPTY.pipe(op.defaultIfEmpty(n)))).toBe(n);
    await expect(lastValueFrom(EMPTY.pipe(op.throwIfEmpty(() => new Error(`empty ${n}`))))).rejects.toThrow(`empty ${n}`);
    // NEVER, not a value 45 ms later: on a loaded machine (load 20) the race of delay(50) against
    // timeout(5) was lost once (the value came first) and the whole benchmark run was left out.
    await expect(lastValueFrom(NEVER.pipe(op.timeout(5)))).rejects.toThrow('Timeout has occurred');
  });
});
