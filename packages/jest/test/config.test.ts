// withJobslot() as a jest config meets it: bad input is a TypeError that says
// what is allowed, when the config file is loaded; without a jobserver, and
// when jest's command line decides the workers, the config comes back as the
// user wrote it (jest then behaves exactly as without jobslot).
import { createLimiter, JobClient } from '@jobslot/core';
import { describe, expect, it } from 'vitest';
import { withJobslot } from '../src/index.js';
import { workersFlag, parseWorkers } from '../src/workers.js';

describe('withJobslot()', () => {
  it.each([
    [5, /takes your jest config: an object, or a function that returns one/],
    [null, /takes your jest config/],
    [[], /takes your jest config/],
  ])('refuses %j as the config', (config, message) => {
    expect(() => withJobslot(config as never)).toThrow(TypeError);
    expect(() => withJobslot(config as never)).toThrow(message);
  });

  it('refuses unknown options and a limiter that is not one', () => {
    expect(() => withJobslot({}, { max: 2 } as never)).toThrow(/@jobslot\/jest: unknown option `max`; the options are `limiter`/);
    expect(() => withJobslot({}, { limiter: 5 } as never)).toThrow(/option `limiter` must be a limiter from @jobslot\/core/);
  });

  it('says so when the config function returns no config', async () => {
    await expect(withJobslot(() => undefined as never)()).rejects.toThrow(/must return your jest config \(an object\), not undefined/);
  });

  it('without a jobserver returns the config unchanged, an object or an async function', async () => {
    const client = JobClient.fromEnv({ env: {} });
    const limiter = createLimiter(client);
    try {
      const config = { testEnvironment: 'node', maxWorkers: 3 };
      expect(await withJobslot(config, { limiter })()).toBe(config);
      expect(await withJobslot(async () => config, { limiter })()).toBe(config);
    } finally {
      limiter.close();
      client.close();
    }
  });

  it('leaves the workers to the command line when it sets them, runs in band or watches', () => {
    for (const argv of [['--maxWorkers=2'], ['-w', '2'], ['-w2'], ['--max-workers', '3'], ['-i'], ['--runInBand'], ['--watch'], ['--watchAll'], ['--detectOpenHandles']]) {
      expect(workersFlag(['test/a.test.js', ...argv]), argv.join(' ')).toBe(argv[0]);
    }
    expect(workersFlag(['--json', '--outputFile=x.json', 'src/w.test.js', '--coverage'])).toBeUndefined();
  });

  it("reads maxWorkers as jest does: a percentage of the cores or a whole number, at least 1", () => {
    expect(parseWorkers(3)).toBe(3);
    expect(parseWorkers('2')).toBe(2);
    expect(parseWorkers(0)).toBe(1);
    expect(parseWorkers('100%')).toBeGreaterThanOrEqual(1);
  });
});
