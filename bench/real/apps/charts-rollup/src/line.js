// Line and area charts over time, with zoom, brush and tooltips.
import * as d3 from 'd3';
import { format, addDays } from 'date-fns';
import { throttle, groupBy } from 'lodash-es';

export function lineChart(node, series) {
  const svg = d3.select(node).append('svg').attr('viewBox', '0 0 800 400');
  const x = d3.scaleTime().domain(d3.extent(series.flat(), (d) => d.t)).range([40, 780]);
  const y = d3.scaleLinear().domain([0, d3.max(series.flat(), (d) => d.v)]).nice().range([380, 20]);
  svg.append('g').attr('transform', 'translate(0,380)').call(d3.axisBottom(x).tickFormat((t) => format(t, 'MMM d')));
  svg.append('g').attr('transform', 'translate(40,0)').call(d3.axisLeft(y));
  const color = d3.scaleOrdinal(d3.schemeCategory10);
  for (const [i, s] of series.entries()) {
    svg.append('path').datum(s).attr('fill', d3.interpolateBlues(0.2)).attr('d', d3.area().x((d) => x(d.t)).y0(380).y1((d) => y(d.v)).curve(d3.curveMonotoneX));
    svg.append('path').datum(s).attr('stroke', color(i)).attr('fill', 'none').attr('d', d3.line().x((d) => x(d.t)).y((d) => y(d.v)).curve(d3.curveCatmullRom));
  }
  const brush = d3.brushX().extent([[40, 20], [780, 380]]).on('end', throttle((e) => e.selection && x.domain(e.selection.map(x.invert)), 50));
  svg.append('g').call(brush);
  svg.call(d3.zoom().scaleExtent([1, 20]).on('zoom', (e) => svg.attr('transform', e.transform)));
  return { days: Object.keys(groupBy(series.flat(), (d) => format(d.t, 'yyyy-MM-dd'))), next: addDays(x.domain()[1], 1) };
}
