const _ = require('lodash');

const words = Array.from({ length: 400 }, (_x, i) => `${['alpha', 'Beta', 'gamma_ray', 'delta-force', 'EPSILON wave'][i % 5]} ${i}`);

describe('lodash strings', () => {
  test.each(words.slice(0, 120))('case conversions agree: %s', (w) => {
    expect(_.camelCase(_.kebabCase(w))).toBe(_.camelCase(w));
    expect(_.snakeCase(w)).toBe(_.kebabCase(w).replace(/-/g, '_'));
    expect(_.startCase(_.camelCase(w)).toLowerCase()).toBe(_.lowerCase(w));
  });
  test.each(_.range(0, 80))('escape and unescape round-trip, %i', (i) => {
    const s = `<a href="x?${i}&y='${i}'">${words[i]}</a>`;
    expect(_.unescape(_.escape(s))).toBe(s);
    expect(_.escapeRegExp(s).length).toBeGreaterThanOrEqual(s.length);
    expect(new RegExp(_.escapeRegExp(s)).test(s)).toBe(true);
  });
  test.each(_.range(1, 60))('pad, truncate, words and template, width %i', (n) => {
    expect(_.padStart('x', n, '-')).toHaveLength(Math.max(1, n));
    expect(_.truncate(words.join(' '), { length: n + 3 }).length).toBeLessThanOrEqual(n + 3);
    expect(_.words(words.slice(0, n).join(' ')).length).toBeGreaterThanOrEqual(n);
    expect(_.template('<%= a %>-<%- b %>')({ a: n, b: '<' })).toBe(`${n}-&lt;`);
  });
});
