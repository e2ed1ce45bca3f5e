// `jobslot run`: inside make, take free tokens without waiting, size the
// command's thread pools to them, grant them to the command's own jobslot
// client, and give them back when it exits.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, ROOT, runMake, tempDir } from './support/index.js';

const CHILD = join(ROOT, 'test/fixtures/core/run-child.mjs');
const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

interface ChildReport {
  GOMAXPROCS: string;
  ROLLDOWN_WORKER_THREADS: string;
  RAYON_NUM_THREADS: string;
  UV_THREADPOOL_SIZE: string;
  MAKEFLAGS: string;
  NODE_OPTIONS: string;
  connected: boolean;
  style: string;
  granted: number;
  implicitSlot: boolean;
  heldAfter: number;
  maxRunning: number;
  warnings: string[];
}

const reports = (stdout: string): ChildReport[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

describe.each(available)('jobslot run under make $version ($style)', (make) => {
  it('takes the free tokens, sizes the pools, and grants them to the command', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.jsonl');
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${CLI} run -- node ${CHILD} 8\n`, env: { JOBSLOT_TRACE: trace } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const [child] = reports(result.stdout);
    expect(child).toMatchObject({ GOMAXPROCS: '4', ROLLDOWN_WORKER_THREADS: '4', RAYON_NUM_THREADS: '4', UV_THREADPOOL_SIZE: '4' });
    expect(child!.NODE_OPTIONS).toContain('--v8-pool-size=4');
    expect(child!.granted).toBe(3);
    // It used the granted slots and took nothing on top.
    expect(child!.maxRunning).toBe(4);
    expect(child!.heldAfter).toBe(0);
    expect(child!.warnings).toEqual([]);
    // A pipe jobserver is handed down by path, so node grandchildren still reach it.
    if (make.style === 'pipe') expect(child!.MAKEFLAGS).toMatch(/--jobserver-auth=fifo:\/proc\/\d+\/fd\/\d+/);
    expect(child!.connected).toBe(true);
    const report = analyzeTrace(readTrace(trace), 4);
    expect(report.peak).toBeLessThanOrEqual(4);
    expect(report.unreturned).toBe(0);
  });

  it('--max caps the slots, the implicit one included', async () => {
    const dir = tempDir();
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${CLI} run --max 2 -- node ${CHILD} 6\n` });
    expect(result.leakLine).toBeUndefined();
    const [child] = reports(result.stdout);
    expect(child).toMatchObject({ GOMAXPROCS: '2', granted: 1, maxRunning: 2 });
  });

  it('two runs in parallel share -j3: never more than 3 slots in all', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.jsonl');
    const recipe = `\t+@node ${CLI} run -- node ${CHILD} 6`;
    const result = await runMake({ make, dir, jobs: 3, makefile: `all: a b c\na:\n${recipe}\nb:\n${recipe}\nc:\n${recipe}\n`, env: { JOBSLOT_TRACE: trace } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(reports(result.stdout)).toHaveLength(3);
    const report = analyzeTrace(readTrace(trace), 3);
    expect(report.peak).toBeLessThanOrEqual(3);
    expect(report.unreturned).toBe(0);
  });

  it('through sh and npm run, the grandchild still reaches the jobserver', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, scripts: { child: `node ${CHILD} 4` } }));
    const result = await runMake({ make, dir, jobs: 3, makefile: `all:\n\t+@node ${CLI} run -- sh -c 'npm run --silent child'\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const [child] = reports(result.stdout);
    expect(child).toMatchObject({ connected: true, granted: 2, maxRunning: 3, warnings: [] });
  });

  it('siblings under one grant (a turbo-like runner) share one implicit slot: never more than N', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.jsonl');
    // One recipe runs four builds at once, as turbo would: only one may use the
    // recipe's implicit slot, the others must hold tokens.
    // Long enough (12 tasks of 20 ms, at most 3 at once) that the four overlap.
    const four = Array.from({ length: 4 }, () => `node ${CHILD} 12`).join(' & ');
    const result = await runMake({
      make,
      dir,
      jobs: 3,
      makefile: `all:\n\t+@node ${CLI} run --max 1 -- sh -c '${four} & wait'\n`,
      env: { JOBSLOT_TRACE: trace },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const children = reports(result.stdout);
    expect(children).toHaveLength(4);
    // One owns the implicit slot at a time (an owner that exits hands it on);
    // the others ran on tokens of their own.
    expect(children.some((c) => c.implicitSlot)).toBe(true);
    expect(children.some((c) => !c.implicitSlot)).toBe(true);
    for (const c of children) expect(c.heldAfter).toBe(0);
    const report = analyzeTrace(readTrace(trace), 3);
    expect(report.peak).toBeLessThanOrEqual(3);
    expect(report.unreturned).toBe(0);
  });

  it('nested jobslot runs as siblings: the one without the implicit slot waits for a token', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.jsonl');
    const inner = `node ${CLI} run -- node ${CHILD} 4`;
    const result = await runMake({
      make,
      dir,
      jobs: 2,
      makefile: `all:\n\t+@node ${CLI} run --max 1 -- sh -c '${inner} & ${inner} & ${inner} & wait'\n`,
      env: { JOBSLOT_TRACE: trace },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(reports(result.stdout)).toHaveLength(3);
    const report = analyzeTrace(readTrace(trace), 2);
    expect(report.peak).toBeLessThanOrEqual(2);
    expect(report.unreturned).toBe(0);
  });
});
