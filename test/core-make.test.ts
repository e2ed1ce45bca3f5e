// The core client under real GNU make (4.3 pipe style, 4.4.1 fifo style) and
// under `jobslot -j N` (both styles): concurrency never above N, every token
// back, timeouts and aborts that end on time.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, ROOT, run, runMake, tempDir } from './support/index.js';

const FIXTURES = join(ROOT, 'test/fixtures/core');
const { available, skipped } = makeBins();
// Shown as skipped tests, with the reason, where make 4.4.1 is not built.
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

/** Six recipes, each running four CPU-bound tasks through the limiter. */
function workersMakefile(targets = 6, tasks = 4, ms = 15): string {
  const names = Array.from({ length: targets }, (_, i) => `t${i}`);
  return [`all: ${names.join(' ')}`, `${names.join(' ')}:`, `\t+@node ${FIXTURES}/worker.mjs ${tasks} ${ms}`, ''].join('\n');
}

function outputs(stdout: string): Array<{ connected: boolean; style?: string; maxRunning: number; warnings: string[] }> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

describe.each(available)('make $version ($style)', (make) => {
  it.each([1, 2, 3, 4])('-j%i: slots never above N, every token back', async (jobs) => {
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    const result = await runMake({ make, dir, jobs, makefile: workersMakefile(), env: { JOBSLOT_TRACE: tracePath } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const seen = outputs(result.stdout);
    expect(seen).toHaveLength(6);
    for (const w of seen) {
      expect(w.warnings).toEqual([]);
      // make -j1 runs no jobserver: each recipe runs serially, as make would.
      expect(w.connected).toBe(jobs > 1);
      if (jobs > 1) expect(w.style).toBe(make.style);
    }
    const report = analyzeTrace(readTrace(tracePath), jobs);
    expect(report.peak).toBeLessThanOrEqual(jobs);
    expect(report.unreturned).toBe(0);
  });

  it('-j4 with one recipe: it takes all three free tokens and runs four tasks at once', async () => {
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    const result = await runMake({ make, dir, jobs: 4, makefile: workersMakefile(1, 8, 40), env: { JOBSLOT_TRACE: tracePath } });
    expect(result.leakLine).toBeUndefined();
    const [worker] = outputs(result.stdout);
    expect(worker!.maxRunning).toBe(4);
    const report = analyzeTrace(readTrace(tracePath), 4);
    expect(report.peak).toBe(4);
    expect(report.unreturned).toBe(0);
  });

  it('a 200 ms timeout returns null before 1 s; an abort rejects with AbortError', async () => {
    const dir = tempDir();
    const makefile = [
      'all: timeout abort',
      `timeout:\n\t+@node ${FIXTURES}/wait.mjs 200`,
      `abort:\n\t+@node ${FIXTURES}/wait.mjs - 150`,
      '',
    ].join('\n');
    // -j2 with two recipes: each holds its implicit slot and the other takes
    // the one token, so waits really wait.
    const result = await runMake({ make, dir, jobs: 2, makefile, targets: ['timeout'] });
    expect(result.leakLine).toBeUndefined();
    const [timeout] = outputs(result.stdout) as unknown as Array<{ outcome: string; ms: number; held: number }>;
    expect(timeout!.held).toBe(1);
    expect(timeout!.outcome).toBe('null');
    expect(timeout!.ms).toBeGreaterThanOrEqual(190);
    expect(timeout!.ms).toBeLessThan(1000);
    const aborted = await runMake({ make, dir, jobs: 2, makefile, targets: ['abort'] });
    expect(aborted.leakLine).toBeUndefined();
    const [abort] = outputs(aborted.stdout) as unknown as Array<{ outcome: string; ms: number }>;
    expect(abort!.outcome).toBe('TimeoutError'); // AbortSignal.timeout's reason
    expect(abort!.ms).toBeLessThan(1000);
  });
});

// make as a client of jobslot's own jobserver: make 4.3 joins a pipe one,
// make 4.4.1 a fifo one (4.3 does not understand fifo:).
const servedMakes = available.map((make) => ({ make, style: make.style }));

describe.each(servedMakes)('jobslot -j N --style $style serving make $make.version', ({ make, style }) => {
  it.each([1, 2, 3, 4])('-j%i: slots never above N, every token back', async (jobs) => {
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    writeFileSync(join(dir, 'Makefile'), workersMakefile());
    const result = await run('node', [CLI, '-j', String(jobs), '--style', style, '--', make.bin], {
      cwd: dir,
      env: cleanEnv({ JOBSLOT_TRACE: tracePath }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/not returned|INTERNAL/);
    const seen = outputs(result.stdout);
    expect(seen).toHaveLength(6);
    for (const w of seen) {
      expect(w.warnings).toEqual([]);
      if (jobs > 1) expect(w.connected).toBe(true);
    }
    const report = analyzeTrace(readTrace(tracePath), jobs);
    expect(report.peak).toBeLessThanOrEqual(jobs);
    expect(report.unreturned).toBe(0);
  });
});

describe.each(['fifo', 'pipe'] as const)('jobslot -j N --style %s', (style) => {
  it('reports tokens a command kept', async () => {
    // A command that reads two tokens and exits without writing them back.
    const script = `node -e "const fs=require('fs');const fd=process.env.MAKEFLAGS.includes('fifo:')?fs.openSync(process.env.MAKEFLAGS.split('fifo:')[1].trim(),'r'):3;fs.readSync(fd,Buffer.alloc(2))"`;
    const result = await run('node', [CLI, '-j', '4', '--style', style, '--', 'sh', '-c', script], { env: cleanEnv() });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/2 of 3 job tokens were not returned/);
  });

  it('exits with the command\'s status', async () => {
    const result = await run('node', [CLI, '-j', '2', '--style', style, '--', 'sh', '-c', 'exit 7'], { env: cleanEnv() });
    expect(result.code).toBe(7);
  });
});
