const d = require('date-fns');

const base = new Date(Date.UTC(2024, 0, 1, 12));
const days = Array.from({ length: 120 }, (_x, i) => i * 11 - 300);

describe('date-fns arithmetic', () => {
  test.each(days)('addDays and differenceInCalendarDays invert each other, %i', (n) => {
    const t = d.addDays(base, n);
    expect(d.differenceInCalendarDays(t, base)).toBe(n);
    expect(d.subDays(t, n).getTime()).toBe(base.getTime());
  });
  test.each(days)('months, weeks and years, %i', (n) => {
    const m = d.addMonths(base, n);
    expect(d.differenceInCalendarMonths(m, base)).toBe(n);
    expect(d.differenceInCalendarYears(d.addYears(base, n), base)).toBe(n);
    expect(d.differenceInWeeks(d.addWeeks(base, n), base)).toBe(n);
  });
  test.each(days)('start and end of periods bracket the day, %i', (n) => {
    const t = d.addDays(base, n);
    for (const [s, e] of [[d.startOfWeek, d.endOfWeek], [d.startOfMonth, d.endOfMonth], [d.startOfQuarter, d.endOfQuarter], [d.startOfYear, d.endOfYear]]) {
      expect(d.isWithinInterval(t, { start: s(t), end: e(t) })).toBe(true);
    }
    expect(d.getDaysInMonth(t)).toBe(d.getDate(d.endOfMonth(t)));
  });
});
