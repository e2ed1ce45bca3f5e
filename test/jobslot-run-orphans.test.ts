// `jobslot run` whose command dies while the jobs it started run on: a
// sub-make SIGKILLed mid-build leaves its recipes running, orphaned. Their
// slots are still in use, so their tokens must not go back to make until they
// end (plain make leaks them instead; handing them all back at once let make
// run 7 jobs at -j4). Concurrency is counted from the jobs' own start/end logs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, peakFromLog, runMake, tempDir } from './support/index.js';

const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

const job = (seconds: number) => `\t@echo "start $@ $$(date +%s.%N)" >> $(LOG); sleep ${seconds}; echo "end $@ $$(date +%s.%N)" >> $(LOG)`;

describe.each(available)('jobslot run under make $version ($style): its command killed mid-build', (make) => {
  it('orphaned jobs keep their slots until they end: at most 4 at once at -j4, no token leaked', async () => {
    const dir = tempDir();
    const log = join(dir, 'jobs.log');
    // The sub-make runs three 2.5 s jobs and one that SIGKILLs it at 0.8 s.
    writeFileSync(join(dir, 'sub.mk'), ['all: killer j1 j2 j3', 'j%:', job(2.5), 'killer:', '\t@sleep 0.8; kill -KILL $$PPID', ''].join('\n'));
    const others = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'];
    const makefile = [
      `LOG := ${log}`,
      'export LOG',
      `all: sub ${others.join(' ')}`,
      'sub:',
      `\t+@node ${CLI} run -- sh -c 'exec $(MAKE) -s -f sub.mk'`,
      // The other jobs wait until the sub-make runs two of its jobs (the gate
      // holds the third token), so it has its slots when it dies.
      `${others.join(' ')}: gate`,
      'gate:',
      `\t@for i in $$(seq 200); do [ "$$(grep -c '^start j' $(LOG) 2>/dev/null)" -ge 2 ] && break; sleep 0.05; done`,
      'o%:',
      job(1),
      '',
    ].join('\n');
    const result = await runMake({ make, dir, jobs: 4, makefile, targets: ['-k'] });
    const output = result.stdout + result.stderr;
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const { peak, jobs } = peakFromLog(text);
    // The sub-make's jobs ran to their end, orphaned; so did all the others.
    expect(text.match(/^end j\d/gm)?.length ?? 0, text + output).toBeGreaterThanOrEqual(1);
    expect(text.match(/^end o\d/gm)?.length, text + output).toBe(others.length);
    expect(jobs).toBeGreaterThanOrEqual(others.length + 1);
    expect(peak, text + output).toBeLessThanOrEqual(4);
    expect(result.leakLine, output).toBeUndefined();
    expect(output).not.toMatch(/INTERNAL/);
    // The sub target failed (its make was killed); make -k went on with the rest.
    expect(result.code, output).not.toBe(0);
  });
});
