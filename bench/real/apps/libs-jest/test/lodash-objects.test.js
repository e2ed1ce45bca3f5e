const _ = require('lodash');

function tree(depth, width, seed) {
  if (depth === 0) return { leaf: seed, at: [seed % 7, `${seed}`] };
  return Object.fromEntries(Array.from({ length: width }, (_x, i) => [`k${i}`, tree(depth - 1, width, seed * 31 + i)]));
}

describe('lodash objects', () => {
  test.each(_.range(0, 40))('cloneDeep is equal and independent, tree %i', (seed) => {
    const t = tree(4, 4, seed);
    const c = _.cloneDeep(t);
    expect(_.isEqual(c, t)).toBe(true);
    _.set(c, 'k0.k1.k2.k3.leaf', -1);
    expect(_.get(t, 'k0.k1.k2.k3.leaf')).not.toBe(-1);
  });
  test.each(_.range(0, 40))('merge and defaultsDeep, tree %i', (seed) => {
    const a = tree(3, 4, seed);
    const b = tree(3, 4, seed + 1);
    const m = _.merge({}, a, b);
    expect(_.isEqual(m, b)).toBe(true);
    const d = _.defaultsDeep({}, a, b);
    expect(_.isEqual(d, a)).toBe(true);
  });
  test.each(_.range(0, 30))('pick, omit, mapValues and invert, tree %i', (seed) => {
    const t = tree(2, 6, seed);
    const keys = Object.keys(t).filter((_k, i) => i % 2 === 0);
    expect(Object.keys(_.pick(t, keys))).toEqual(keys);
    expect(Object.keys(_.omit(t, keys)).some((k) => keys.includes(k))).toBe(false);
    const sizes = _.mapValues(t, (v) => _.size(v));
    expect(Object.values(sizes).every((s) => s === 6)).toBe(true);
    expect(_.invert(_.invert({ a: 'x', b: 'y' }))).toEqual({ a: 'x', b: 'y' });
  });
  test.each(_.range(0, 30))('paths: toPairs, fromPairs and has, tree %i', (seed) => {
    const t = tree(3, 3, seed);
    const paths = [];
    const walk = (o, p) => (_.isPlainObject(o) && !('leaf' in o) ? _.forOwn(o, (v, k) => walk(v, [...p, k])) : paths.push(p));
    walk(t, []);
    expect(paths).toHaveLength(27);
    for (const p of paths) expect(_.has(t, p)).toBe(true);
    expect(_.fromPairs(_.toPairs(t))).toEqual(t);
  });
});
