// Turns (packages/core/src/pool/pool.ts): a limiter with jobs queued gives a
// token it has held a while back to the jobserver at a job's end, as make does
// with every token, so make's own jobs waiting beside it get one while its
// queue still has work. Before, it handed each finished job's token straight to
// its next job: make's job waited until the whole queue had started.
//
// Real make -j3: `side` (a jobslot client, 60 jobs of 30 ms) runs on make's
// implicit slot and takes one token; `other` runs a sub-make on the other
// token once the side holds its token (the side says so in its log). In the
// sub-make, `a` runs on the sub-make's own slot until the side is done, and
// `b` needs a token: it waits in make's blocking read. Counted from the jobs'
// own start/end logs: `b` starts before the side's last job starts, the side
// never runs more than its 2 slots, and make ends with every token back.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeBins, peakFromLog, ROOT, runMake, sh, tempDir } from './support/index.js';

const SIDE = join(ROOT, 'test/fixtures/core/long-queue.mjs');
const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

describe.each(available)('make $version: a long jobslot queue beside make', (make) => {
  it("make's job waiting for a token gets one while the queue still has work", async () => {
    const dir = tempDir('jobslot-turns-');
    const side = join(dir, 'side.log');
    const b = join(dir, 'b.log');
    // Waits for a line in a file (a fixture saying it is ready), not a fixed time.
    const until = (file: string, line: string) => `until grep -qx ${line} ${sh(file)} 2>/dev/null; do sleep 0.01; done`;
    writeFileSync(
      join(dir, 'sub.mk'),
      ['all: a b', 'a:', `\t@${until(side, 'done')}`, 'b:', `\t@echo start b $$(date +%s.%N) > ${sh(b)}`, '.PHONY: all a b', ''].join('\n'),
    );
    const result = await runMake({
      make,
      dir,
      jobs: 3,
      makefile: [
        'all: side other',
        'side:',
        `\t+@node ${sh(SIDE)} ${sh(side)} 60 30`,
        'other:',
        `\t+@${until(side, 'full')}; $(MAKE) -s -f sub.mk`,
        '.PHONY: all side other',
        '',
      ].join('\n'),
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const log = readFileSync(side, 'utf8');
    const starts = log.split('\n').filter((l) => l.startsWith('start ')).map((l) => Number(l.split(' ')[2]));
    expect(starts).toHaveLength(60);
    const bStart = Number(readFileSync(b, 'utf8').trim().split(' ')[2]);
    const lastStart = Math.max(...starts);
    console.log(`make ${make.version}: b started ${(lastStart - bStart).toFixed(2)} s before the side's last job started`);
    expect(bStart).toBeLessThan(lastStart);
    expect(peakFromLog(log).peak).toBeLessThanOrEqual(2);
  });
});
