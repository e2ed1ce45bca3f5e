// Siblings (packages/core/src/pool/pool.ts, "Turns"), under real make: a child
// pool with a long queue holds every slot the process has; a job that arrives
// later in a sibling pool (another build of the same process) or in the
// limiter itself gets a slot at one of the long queue's next job ends. Before,
// the long pool handed each finished job's slot to its own next job, and the
// late job started after all 40 of them.
//
// make -j3, one recipe: the process runs on make's implicit slot and two
// tokens. Counted from the jobs' own start/end logs: the late job starts
// before the long queue's 7th start (3 running when it came, at most 3 more
// job ends), never more than 3 run at once, and make ends with every token
// back (no INTERNAL line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeBins, peakFromLog, ROOT, runMake, sh, tempDir } from './support/index.js';

const FIXTURE = join(ROOT, 'test/fixtures/core/sibling-pools.mjs');
const JOBS = 40;
const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

describe.each(available)('make $version -j3: a child pool with a long queue', (make) => {
  it.each([
    ['a sibling child pool', 'pool'],
    ['the limiter itself', 'root'],
  ])('a late job in %s starts within a few of its job ends', async (_, late) => {
    const dir = tempDir('jobslot-siblings-');
    const log = join(dir, 'jobs.log');
    const result = await runMake({
      make,
      dir,
      jobs: 3,
      makefile: ['all:', `\t+@node ${sh(FIXTURE)} ${sh(log)} ${JOBS} 20 3 ${late}`, '.PHONY: all', ''].join('\n'),
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const text = readFileSync(log, 'utf8');
    const starts = text.split('\n').filter((l) => l.startsWith('start ')).map((l) => l.split(' ')[1]);
    expect(starts).toHaveLength(JOBS + 1);
    const before = starts.indexOf('late');
    console.log(`make ${make.version}, late job in the ${late}: started after ${before} of the long queue's ${JOBS} jobs`);
    expect(before).toBeLessThanOrEqual(3 + 3);
    expect(peakFromLog(text).peak).toBeLessThanOrEqual(3);
  });
});
