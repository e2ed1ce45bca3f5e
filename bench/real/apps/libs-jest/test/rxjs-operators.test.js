const { from, range, lastValueFrom, firstValueFrom } = require('rxjs');
const op = require('rxjs/operators');

const sizes = Array.from({ length: 60 }, (_x, i) => 50 + i * 20);

describe('rxjs operators on synchronous sources', () => {
  test.each(sizes)('map, filter and reduce agree with arrays, %i', async (n) => {
    const xs = Array.from({ length: n }, (_x, i) => (i * 7) % 13);
    const r = await lastValueFrom(from(xs).pipe(op.map((x) => x * 2), op.filter((x) => x % 3 === 0), op.reduce((a, x) => a + x, 0)));
    expect(r).toBe(xs.map((x) => x * 2).filter((x) => x % 3 === 0).reduce((a, x) => a + x, 0));
  });
  test.each(sizes)('bufferCount, pairwise and scan, %i', async (n) => {
    const buffers = await lastValueFrom(range(0, n).pipe(op.bufferCount(7), op.toArray()));
    expect(buffers.flat()).toEqual(Array.from({ length: n }, (_x, i) => i));
    const pairs = await lastValueFrom(range(0, n).pipe(op.pairwise(), op.toArray()));
    expect(pairs).toHaveLength(n - 1);
    expect(await lastValueFrom(range(1, n).pipe(op.scan((a, x) => a + x, 0)))).toBe((n * (n + 1)) / 2);
  });
  test.each(sizes)('distinct, groupBy and mergeMap, %i', async (n) => {
    const xs = Array.from({ length: n }, (_x, i) => (i * 31) % 17);
    expect(await lastValueFrom(from(xs).pipe(op.distinct(), op.toArray()))).toEqual([...new Set(xs)]);
    const groups = await lastValueFrom(from(xs).pipe(op.groupBy((x) => x % 4), op.mergeMap((g) => g.pipe(op.count())), op.toArray()));
    expect(groups.reduce((a, c) => a + c, 0)).toBe(n);
    expect(await firstValueFrom(from(xs).pipe(op.skip(3), op.take(1)))).toBe(xs[3]);
  });
});
