// A schedule timeline: calendar arithmetic from date-fns, a time scale, chords between teams.
import * as d3 from 'd3';
import { eachWeekOfInterval, differenceInCalendarDays, formatDistance, isWeekend, parseISO, startOfQuarter, endOfQuarter } from 'date-fns';
import { uniqBy, keyBy } from 'lodash-es';

export function timeline(node, tasks) {
  const parsed = uniqBy(tasks, 'id').map((t) => ({ ...t, start: parseISO(t.start), end: parseISO(t.end) }));
  const byId = keyBy(parsed, 'id');
  const from = startOfQuarter(d3.min(parsed, (t) => t.start));
  const to = endOfQuarter(d3.max(parsed, (t) => t.end));
  const x = d3.scaleUtc().domain([from, to]).range([100, 900]);
  const svg = d3.select(node).append('svg').attr('viewBox', '0 0 1000 600');
  svg.append('g').call(d3.axisTop(x).ticks(d3.utcWeek.every(2)));
  for (const w of eachWeekOfInterval({ start: from, end: to })) if (isWeekend(w)) svg.append('line').attr('x1', x(w)).attr('x2', x(w));
  svg.selectAll('rect').data(parsed).join('rect').attr('x', (t) => x(t.start)).attr('width', (t) => Math.max(1, differenceInCalendarDays(t.end, t.start)))
    .append('title').text((t) => formatDistance(t.end, t.start));
  const matrix = d3.range(6).map((i) => d3.range(6).map((j) => parsed.filter((t) => t.team === i && byId[t.dep]?.team === j).length));
  svg.append('g').selectAll('path').data(d3.chord()(matrix)).join('path').attr('d', d3.ribbon().radius(200));
  return d3.rollup(parsed, (v) => v.length, (t) => t.team);
}
