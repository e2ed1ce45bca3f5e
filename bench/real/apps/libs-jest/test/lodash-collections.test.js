const _ = require('lodash');

const rows = Array.from({ length: 2000 }, (_x, i) => ({ id: i, team: `t${i % 17}`, score: (i * 7919) % 1000, tags: [`a${i % 5}`, `b${i % 3}`] }));

describe('lodash collections against the native equivalents', () => {
  test.each(_.range(0, 60))('groupBy and countBy agree, slice %i', (n) => {
    const part = rows.slice(n * 30, n * 30 + 300);
    const groups = _.groupBy(part, 'team');
    const counts = _.countBy(part, 'team');
    for (const [k, v] of Object.entries(groups)) expect(v).toHaveLength(counts[k]);
    expect(_.sum(Object.values(counts))).toBe(part.length);
  });
  test.each(_.range(1, 40))('sortBy is stable and orderBy reverses it, key %i', (k) => {
    const key = (r) => r.score % k;
    const sorted = _.sortBy(rows, key);
    const native = [...rows].sort((a, b) => key(a) - key(b));
    expect(sorted.map((r) => r.id)).toEqual(native.map((r) => r.id));
    expect(_.orderBy(rows, [key], ['desc'])[0].score % k).toBe(_.maxBy(rows, key).score % k);
  });
  test.each(_.range(1, 30))('chunk, zip and unzip round-trip, size %i', (size) => {
    const ids = rows.map((r) => r.id);
    expect(_.flatten(_.chunk(ids, size))).toEqual(ids);
    const [a, b] = _.unzip(_.zip(ids, ids.map((x) => x * 2)));
    expect(b).toEqual(a.map((x) => x * 2));
  });
  test.each(_.range(0, 30))('uniq, union, intersection and difference, seed %i', (seed) => {
    const a = rows.slice(seed * 10, seed * 10 + 500).map((r) => r.score);
    const b = rows.slice(seed * 20, seed * 20 + 500).map((r) => r.score);
    expect(_.uniq(a)).toEqual([...new Set(a)]);
    expect(new Set(_.union(a, b))).toEqual(new Set([...a, ...b]));
    expect(_.intersection(a, b).every((x) => a.includes(x) && b.includes(x))).toBe(true);
    expect(_.difference(a, b).some((x) => b.includes(x))).toBe(false);
  });
});
