// For the test-runner e2e tests (vitest, jest): packages of CPU-bound test
// files, each of which logs when its worker starts and ends it (a file runs
// in one busy worker, so the overlap of these logs is the workers at work),
// run by a real make; and the results per test, from the runners' JSON reports.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { beforeAll, expect, it } from 'vitest';
import { CLI, peakFromLog, runMake, type MakeBin } from './make.js';
import { simulatedCores } from './cores.js';

/** What the vitest running these tests sets for its own: the runs beneath start fresh. */
export const NOT_THIS_VITEST = {
  VITEST: undefined,
  VITEST_MODE: undefined,
  VITEST_POOL_ID: undefined,
  VITEST_WORKER_ID: undefined,
  TEST: undefined,
  NODE_ENV: undefined,
};

/**
 * A test file (runner globals): logs its start and end to $WORKER_LOG, burns
 * 1 s of CPU in a passing test, and has a skipped one. `cjs`: require()
 * (jest without a transform), else import (vitest).
 */
export function workerTestFile(label: string, i: number, cjs: boolean): string {
  const fs = cjs ? "const { appendFileSync } = require('node:fs');" : "import { appendFileSync } from 'node:fs';";
  return `${fs}
const log = (kind) => appendFileSync(process.env.WORKER_LOG, kind + ' ${label}/${i} ' + Date.now() + '\\n');
beforeAll(() => log('start'));
afterAll(() => log('end'));
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
test('fib ${i}', () => {
  const until = Date.now() + 1000;
  let r = 0;
  while (Date.now() < until) r = fib(20 + ${i});
  expect(r).toBe(fib(20 + ${i}));
});
test.skip('skipped ${i}', () => {});
`;
}

/** Per test: package, file, name, status (durations and absolute paths left out), from each package's `<pkg>.json` in `dir`. */
export function runnerResults(dir: string, packages: readonly string[]): string[] {
  const out: string[] = [];
  for (const pkg of packages) {
    const report = JSON.parse(readFileSync(join(dir, `${pkg}.json`), 'utf8')) as {
      testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; status: string }> }>;
    };
    for (const file of report.testResults) {
      for (const t of file.assertionResults) out.push(`${pkg} ${file.name.slice(file.name.lastIndexOf('/') + 1)} ${t.fullName} ${t.status}`);
    }
  }
  return out.sort();
}

/**
 * Runs `make -jJOBS` in `dir` on a simulated machine of `cores` cores (16 unless said), with a jobslot
 * trace: the make result, the workers' overlap from the test files' logs, the trace's path.
 */
export async function runRunners(options: { make: MakeBin; dir: string; jobs: number; makefile: string; cores?: number }) {
  const log = join(options.dir, 'workers.log');
  writeFileSync(log, '');
  const tracePath = join(options.dir, 'trace.jsonl');
  const env = { ...NOT_THIS_VITEST, ...simulatedCores(options.cores ?? 16), WORKER_LOG: log, JOBSLOT_TRACE: tracePath };
  const result = await runMake({ ...options, env, timeoutMs: 120_000 });
  const text = readFileSync(log, 'utf8');
  /** When the first test file started, ms since the epoch. */
  const firstStart = Number(/^start \S+ (\d+)/m.exec(text)?.[1] ?? NaN);
  return { result, workers: peakFromLog(text), tracePath, firstStart };
}

type RunnerCheck = (make: MakeBin, withJobslot: boolean, wrap?: string) => Promise<{ dir: string } & Awaited<ReturnType<typeof runRunners>>>;

/**
 * The tests vitest's and jest's suites share, registered in the caller's
 * describe: the control (the runner alone goes above -jJOBS; its results are
 * the reference), each make within the slots with every token back and the
 * same results, and the same beneath `jobslot run`.
 */
export function sharedRunnerTests(o: {
  /** 'vitest' or 'jest', as the titles and logs name it */
  tool: string;
  /** how jobslot comes in, for the logs: 'with the plugin', 'with withJobslot' */
  how: string;
  /** the rest of the `jobslot run` test's title */
  subPool: string;
  /** the runner's word for a skipped test in its JSON report */
  skippedStatus: string;
  available: MakeBin[];
  jobs: number;
  packages: string[];
  files: number;
  check: RunnerCheck;
  /** One package of 4 test files under make -j2 on a simulated 2-core machine, with or without jobslot. */
  twoCores: (withJobslot: boolean) => ReturnType<typeof runRunners>;
}): void {
  const { tool, how, available, jobs, packages, files, check } = o;
  let reference: string[];
  let control: Awaited<ReturnType<RunnerCheck>>;
  beforeAll(async () => {
    // The runner alone (no jobslot) on a simulated 16-core machine: the control, and the reference results.
    control = await check(available[0]!, false);
    reference = runnerResults(control.dir, packages);
  }, 120_000);

  it(`control: without jobslot, ${tool} runs more test workers than make -j${jobs} allows`, () => {
    console.log(`${tool} alone, 16 simulated cores, make -j${jobs}: ${JSON.stringify(control.workers)}`);
    expect(control.result.code, control.result.stdout + control.result.stderr).toBe(0);
    expect(control.workers.jobs).toBe(packages.length * files);
    expect(control.workers.peak).toBeGreaterThan(jobs);
    expect(reference).toHaveLength(packages.length * files * 2);
    expect(reference.filter((r) => r.endsWith(` ${o.skippedStatus}`))).toHaveLength(packages.length * files);
  });

  it.each(available)(`make $version -j${jobs}: test workers within the slots, every token back, the same results`, async (make) => {
    const r = await check(make, true);
    const output = r.result.stdout + r.result.stderr;
    console.log(`${tool} ${how}, 16 simulated cores, make ${make.version} -j${jobs}: ${JSON.stringify(r.workers)}`);
    expect(r.result.code, output).toBe(0);
    expect(r.result.leakLine, output).toBeUndefined();
    expect(r.workers.jobs).toBe(packages.length * files);
    expect(r.workers.peak).toBeLessThanOrEqual(jobs);
    const trace = analyzeTrace(readTrace(r.tracePath), jobs);
    expect(trace.unreturned).toBe(0);
    expect(trace.peak).toBeLessThanOrEqual(jobs);
    // jobslot did take make's tokens for workers (not merely one worker each).
    expect([...trace.perProcess.values()].some((p) => p.acquired > 0)).toBe(true);
    expect(runnerResults(r.dir, packages)).toEqual(reference);
  }, 120_000);

  it(`beneath \`jobslot run\`, make ${available[0]?.version} -j${jobs}: ${o.subPool}`, async () => {
    const r = await check(available[0]!, true, `node ${CLI} run -- `);
    const output = r.result.stdout + r.result.stderr;
    console.log(`jobslot run -- ${tool} ${how}, make ${available[0]!.version} -j${jobs}: ${JSON.stringify(r.workers)}`);
    expect(r.result.code, output).toBe(0);
    expect(r.result.leakLine, output).toBeUndefined();
    expect(r.workers.peak).toBeLessThanOrEqual(jobs);
    expect(analyzeTrace(readTrace(r.tracePath), jobs).unreturned).toBe(0);
    expect(runnerResults(r.dir, packages)).toEqual(reference);
  }, 120_000);

  it(`on 2 cores under make -j2 a run takes both slots for 2 workers (${tool} alone runs 1: one per core less one)`, async () => {
    // The runner's own default keeps a core for its own process; under make that process runs on a
    // slot its workers share (it mostly waits while they run), so the slots decide, up to the cores.
    const alone = await o.twoCores(false);
    expect(alone.result.code, alone.result.stdout + alone.result.stderr).toBe(0);
    expect(alone.workers.peak).toBe(1);
    const r = await o.twoCores(true);
    expect(r.result.code, r.result.stdout + r.result.stderr).toBe(0);
    expect(r.workers.jobs).toBe(4);
    expect(r.workers.peak).toBe(2);
    expect(r.result.leakLine).toBeUndefined();
    expect(analyzeTrace(readTrace(r.tracePath), 2).unreturned).toBe(0);
  }, 60_000);
}
