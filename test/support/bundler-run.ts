// One build of the rollup/rolldown fixture app (test/fixtures/rollup) under
// make -jN, counted from outside: runnable threads sampled from /proc across
// the tree, the heavy transform's own start/end log, and (rollup) a log of
// every terser worker's start and end and of each chunk a worker minifies
// (fixtures/rollup/log-workers.cjs).
// Shared by test/rollup.test.ts and test/rolldown.test.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error a plain JS fixture
import { writeApp } from '../fixtures/rollup/app.mjs';
import { cleanEnv, peakFromLog, ROOT, runSampled, tempDir, type MakeBin } from './make.js';
import { simulatedCores } from './cores.js';

export const FIXTURE = join(ROOT, 'test/fixtures/rollup');
const LOG_WORKERS = join(FIXTURE, 'log-workers.cjs');

/** The most heavy transforms running at once, from its JSON start/end log. */
function heavyPeak(file: string): { peak: number; calls: number } {
  if (!existsSync(file)) return { peak: 0, calls: 0 };
  const events = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { t: number; ev: 'start' | 'end' })
    .sort((a, b) => a.t - b.t || (a.ev === 'end' ? -1 : 1));
  let now = 0;
  let peak = 0;
  for (const e of events) {
    now += e.ev === 'start' ? 1 : -1;
    peak = Math.max(peak, now);
  }
  return { peak, calls: events.filter((e) => e.ev === 'start').length };
}

export interface BundlerRun {
  dir: string;
  code: number | null;
  output: string;
  /** make printed `INTERNAL: Exiting with N jobserver tokens ...`: a token lost */
  leak: boolean;
  runnable: { p50: number; p95: number; max: number; mean: number };
  heavy: { peak: number; calls: number };
  /** terser's worker threads alive at once (rollup), from the per-worker log */
  workers: { peak: number; jobs: number };
  /** chunks terser's workers minified at once (a task: a message to a worker until its answer) */
  tasks: { peak: number; jobs: number };
}

/**
 * Builds a fresh copy of the app with `command` (run in the app's directory):
 * under `make -jJOBS` as the `+` recipe `prefix command`, or without make.
 * `plugin`: the config adds the jobslot plugin. `cores`: a simulated machine.
 */
export async function bundlerRun(options: {
  command: string;
  make?: MakeBin;
  jobs?: number;
  prefix?: string;
  plugin: boolean;
  cores?: number;
  env?: Record<string, string>;
}): Promise<BundlerRun> {
  const dir = tempDir('jobslot-bundler-');
  writeApp(dir);
  const heavyLog = join(dir, 'heavy.jsonl');
  const workerLog = join(dir, 'workers.log');
  const taskLog = join(dir, 'tasks.log');
  const sim = options.cores ? simulatedCores(options.cores) : { NODE_OPTIONS: '' };
  const env = cleanEnv({
    ...sim,
    NODE_OPTIONS: `${sim.NODE_OPTIONS} --require ${LOG_WORKERS}`.trim(),
    WORKER_LOG: workerLog,
    TASK_LOG: taskLog,
    WORKER_MATCH: 'plugin-terser',
    HEAVY_LOG: heavyLog,
    JOBSLOT_PLUGIN: options.plugin ? '1' : '0',
    ...options.env,
  });
  let cmd: string;
  let args: string[];
  if (options.make) {
    writeFileSync(join(dir, 'Makefile'), `all:\n\t+${options.prefix ?? ''}${options.command}\n`);
    cmd = options.make.bin;
    args = [`-j${options.jobs ?? 2}`, '-s'];
  } else {
    cmd = 'sh';
    args = ['-c', options.command];
  }
  const { code, output, stats, samples, leak } = await runSampled(cmd, args, { cwd: dir, env });
  const mean = samples.reduce((sum, x) => sum + x.runnable, 0) / Math.max(1, samples.length);
  return {
    dir,
    code,
    output,
    leak,
    runnable: { ...stats.runnable, mean: Math.round(mean * 100) / 100 },
    heavy: heavyPeak(heavyLog),
    workers: existsSync(workerLog) ? peakFromLog(readFileSync(workerLog, 'utf8')) : { peak: 0, jobs: 0 },
    tasks: existsSync(taskLog) ? peakFromLog(readFileSync(taskLog, 'utf8')) : { peak: 0, jobs: 0 },
  };
}
