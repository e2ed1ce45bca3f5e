const d = require('date-fns');

const base = new Date(2023, 5, 15, 9, 30, 0);
const steps = Array.from({ length: 150 }, (_x, i) => i * 37);

describe('date-fns formatting and parsing', () => {
  test.each(steps)('format and parse round-trip, +%i hours', (h) => {
    const t = d.addHours(base, h);
    for (const f of ['yyyy-MM-dd HH:mm', "EEEE, MMMM do yyyy 'at' h:mm a", 'dd/MM/yy HH:mm', 'yyyy MMM d HH:mm']) {
      expect(d.parse(d.format(t, f), f, base).getTime()).toBe(d.startOfMinute(t).getTime());
    }
  });
  test.each(steps)('ISO formats round-trip, +%i hours', (h) => {
    const t = d.addHours(base, h);
    expect(d.parseISO(d.formatISO(t)).getTime()).toBe(t.getTime());
    expect(d.isValid(d.parseISO(d.formatISO(t, { representation: 'date' })))).toBe(true);
    expect(d.formatDistanceStrict(t, base, { unit: 'hour' })).toBe(h === 1 ? '1 hour' : `${h} hours`);
  });
});
