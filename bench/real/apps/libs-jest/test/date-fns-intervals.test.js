const d = require('date-fns');

const start = new Date(2020, 0, 1);
const spans = Array.from({ length: 80 }, (_x, i) => 20 + i * 9);

describe('date-fns intervals', () => {
  test.each(spans)('eachDayOfInterval counts the days of %i', (n) => {
    const end = d.addDays(start, n);
    const all = d.eachDayOfInterval({ start, end });
    expect(all).toHaveLength(n + 1);
    expect(all.filter(d.isWeekend).length + all.filter((x) => !d.isWeekend(x)).length).toBe(n + 1);
    expect(d.differenceInBusinessDays(end, start)).toBe(all.slice(0, -1).filter((x) => !d.isWeekend(x)).length);
  });
  test.each(spans)('weeks and months of %i days', (n) => {
    const end = d.addDays(start, n);
    expect(d.eachWeekOfInterval({ start, end }).length).toBe(d.differenceInCalendarWeeks(end, start) + 1);
    expect(d.eachMonthOfInterval({ start, end }).length).toBe(d.differenceInCalendarMonths(end, start) + 1);
  });
  test.each(spans)('overlaps, clamp and closestTo over %i days', (n) => {
    const a = { start, end: d.addDays(start, n) };
    const b = { start: d.addDays(start, n / 2), end: d.addDays(start, n * 2) };
    expect(d.areIntervalsOverlapping(a, b)).toBe(true);
    expect(d.clamp(d.addDays(start, n * 3), a).getTime()).toBe(a.end.getTime());
    const days = d.eachDayOfInterval(a);
    expect(d.closestTo(d.addHours(start, 25), days).getTime()).toBe(d.addDays(start, 1).getTime());
  });
});
