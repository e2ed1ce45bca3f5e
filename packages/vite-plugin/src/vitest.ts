// vitest runs on vite: with this plugin in a vitest config, vitest's test
// workers (forks or threads; by default one per core less one, half the cores
// in watch mode) are sized to the slots the process can take when each test
// run starts, and those slots are held until the run ends.
//
// Why per run, at its start: vitest 4 reads `maxWorkers` when it schedules a
// run, after reporters hear `onTestRunStart` with the files to run. So the
// slots can be taken then, no more than the files need (vitest never starts
// more workers than files), without waiting (a run never waits on make for a
// token it could run without: the process's own slot is always there), and
// given back at `onTestRunEnd`. Nothing is held between runs, so a watcher
// idles on no token. Tokens are not taken mid-run: vitest's pool size is fixed
// for the run, so a token taken later could not start a worker.
//
// Why not VITEST_MAX_WORKERS from `jobslot run`: vitest lets that variable
// override everything, `fileParallelism: false` and a project's own
// `maxWorkers` included, and every vitest beneath (turbo runs several) would
// take all the slots for itself.
import { availableParallelism } from 'node:os';
import type { Limiter, Reservation } from '@jobslot/core';

/** What this module reads and writes of vitest's `Vitest` object (vitest 4's public API). */
export interface VitestLike {
  config: { maxWorkers?: number; watch?: boolean; reporters: unknown[] };
  projects: ReadonlyArray<{ config: { maxWorkers?: number } }>;
  onClose(fn: () => unknown): void;
}

/** Whether a resolved vite config is vitest's own server (its plugin is named 'vitest'). */
export function isVitestServer(plugins: ReadonlyArray<{ name?: string }>): boolean {
  return plugins.some((p) => p.name === 'vitest');
}

/** The workers vitest 4 starts when `maxWorkers` is unset (its resolveMaxWorkers). */
export function vitestDefaultWorkers(watch: boolean): number {
  const cores = availableParallelism();
  return Math.max(1, watch ? Math.floor(cores / 2) : cores - 1);
}

/**
 * One reporter per resolved vitest config: configureVitest runs once per project that has this
 * plugin, and again, with a config resolved anew, when a watcher restarts on a config change.
 */
const sized = new WeakSet<object>();

/**
 * Registers, on `vitest`, a reporter that sizes each run's workers to
 * min(what vitest would start, files to run, slots to be had) and holds those
 * slots until the run ends. A `maxWorkers` the user set (config, CLI,
 * VITEST_MAX_WORKERS) is kept as a ceiling, per project.
 */
export function sizeVitestWorkers(vitest: VitestLike, limiter: Limiter): void {
  if (sized.has(vitest.config)) return;
  sized.add(vitest.config);
  if (!limiter.limited) return; // without a jobserver vitest sizes itself
  // The user's own values, before the first run overwrites them.
  const own = new Map<object, number | undefined>();
  const rootOwn = vitest.config.maxWorkers;
  let held: Reservation | undefined;
  const release = () => {
    held?.release();
    held = undefined;
  };
  const reporter = {
    onTestRunStart(specifications: readonly unknown[]) {
      release(); // a rerun that cut the previous one short
      const rootMax = rootOwn ?? vitestDefaultWorkers(Boolean(vitest.config.watch));
      for (const p of vitest.projects) if (!own.has(p)) own.set(p, p.config.maxWorkers);
      const ceilings = vitest.projects.map((p) => own.get(p) ?? rootMax);
      const want = Math.min(Math.max(rootMax, ...ceilings), Math.max(1, specifications.length));
      held = limiter.tryReserve(want);
      // 0 when a sibling beneath the same `jobslot run` has the process slot: one worker, as make would run one job.
      const workers = Math.max(1, held.slots);
      vitest.config.maxWorkers = Math.min(rootMax, workers);
      vitest.projects.forEach((p, i) => (p.config.maxWorkers = Math.min(ceilings[i]!, workers)));
    },
    onTestRunEnd() {
      release();
    },
  };
  vitest.config.reporters.push(reporter);
  // A run interrupted by close (Ctrl+C in watch mode, a fatal error) gives back too.
  vitest.onClose(release);
}
