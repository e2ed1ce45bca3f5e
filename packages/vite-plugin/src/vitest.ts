// vitest runs on vite: with this plugin in a vitest config, vitest's test
// workers (forks or threads; alone, one per core less one, half the cores in
// watch mode) are sized to the slots the process can take when each test
// run starts, and those slots are held until the run ends (a child pool of
// the limiter with that floor: core's reserveForRun, as jest's are).
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
//
// Which servers: vitest starts one vite server for its root config and one per
// project (`test.projects`), and the browser mode one more per browser
// project. Each runs the plugins of its own config, and vitest calls
// `configureVitest` on the projects' plugins only; an inline project inherits
// the root's plugins only with `extends: true`. So a plugin at the root of a
// config with inline projects adds a sizing-only plugin to each of them
// (`sizeInlineProjects`), and the root says plainly when no project sized the
// run (`unsizedRunMessage`). None of these servers' hooks is governed: they
// transform modules for the run's workers, which already hold the slots (and
// core's run rule, reserveForRun, lets them through should one be missed).
import { availableParallelism } from 'node:os';
import { reserveForRun, type Limiter, type Reservation } from '@jobslot/core';
import { processRecord } from '@jobslot/core/plugin';
import { sizeForkWorkersV8Pool, type ForkProjectConfig } from './vitest-v8-pool.js';

/** What this module reads and writes of vitest's `Vitest` object (vitest 4's public API). */
export interface VitestLike {
  config: { maxWorkers?: number; watch?: boolean; reporters: unknown[]; env?: ForkProjectConfig['env'] };
  projects: ReadonlyArray<{ config: { maxWorkers?: number } & ForkProjectConfig }>;
  onClose(fn: () => unknown): void;
}

/**
 * Whether a resolved vite config is one of vitest's servers: the root's (its plugin is named
 * 'vitest'), a project's ('vitest:project', 'vitest:project:name', ...) or the browser mode's
 * ('vitest:browser...'). vitest names all its own plugins 'vitest' or 'vitest:*'.
 */
export function isVitestServer(plugins: ReadonlyArray<{ name?: string }>): boolean {
  return plugins.some((p) => p.name === 'vitest' || (typeof p.name === 'string' && p.name.startsWith('vitest:')));
}

/** Whether a resolved vite config is vitest's root server (the one `configureVitest` is not called on when there are projects). */
export function isVitestRootServer(plugins: ReadonlyArray<{ name?: string }>): boolean {
  return plugins.some((p) => p.name === 'vitest');
}

/**
 * The most workers a run takes slots for when `maxWorkers` is unset: one per core, half the
 * cores in watch mode (vitest 4's resolveMaxWorkers, but for the one core it keeps back).
 * Alone, vitest starts one worker per core less one, keeping a core for its own process; under
 * make that process runs on the slot its first worker shares, and it mostly waits while workers
 * run (zod's suite on 2 cores, make -j2: 2 workers 12.1 s and 20.9 CPU-s, 1 worker 19.8 s and
 * 22.0 CPU-s), so the slots decide, up to the cores.
 */
export function vitestCeiling(watch: boolean): number {
  const cores = availableParallelism();
  return Math.max(1, watch ? Math.floor(cores / 2) : cores);
}

/**
 * One reporter per resolved vitest config: configureVitest runs once per project that has this
 * plugin, and again, with a config resolved anew, when a watcher restarts on a config change.
 * Marked on the config itself, so that two copies of this plugin (configs that import it by
 * path are bundled each with its own) still size a run once.
 */
const SIZED = Symbol.for('jobslot.vitest.sized');

/** Runs this process has sized, whichever copy of the plugin did it: for `unsizedRunMessage`. */
const sizedRuns = () => processRecord('vite-plugin:vitest', () => ({ count: 0 }));

/**
 * Registers, on `vitest`, a reporter that sizes each run's workers to
 * min(the cores, files to run, slots to be had) and holds those
 * slots until the run ends. A `maxWorkers` the user set (config, CLI,
 * VITEST_MAX_WORKERS) is kept as a ceiling, per project.
 */
export function sizeVitestWorkers(vitest: VitestLike, limiter: Limiter): void {
  const config = vitest.config as VitestLike['config'] & { [SIZED]?: true };
  if (config[SIZED]) return;
  config[SIZED] = true;
  if (!limiter.limited) return; // without a jobserver vitest sizes itself
  sizedRuns().count++;
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
      const rootMax = rootOwn ?? vitestCeiling(Boolean(vitest.config.watch));
      for (const p of vitest.projects) if (!own.has(p)) own.set(p, p.config.maxWorkers);
      const ceilings = vitest.projects.map((p) => own.get(p) ?? rootMax);
      const want = Math.min(Math.max(rootMax, ...ceilings), Math.max(1, specifications.length));
      // The workers' modules are transformed in this process while the run holds these slots:
      // reserveForRun makes sure nothing here waits for them (core's run rule).
      held = reserveForRun(limiter, want);
      // 0 when a sibling beneath the same `jobslot run` has the process slot: one worker, as make would run one job.
      const workers = Math.max(1, held.slots);
      vitest.config.maxWorkers = Math.min(rootMax, workers);
      vitest.projects.forEach((p, i) => (p.config.maxWorkers = Math.min(ceilings[i]!, workers)));
      // Each worker holds one slot: a forked one starts V8's helper pool sized to it.
      sizeForkWorkersV8Pool(vitest.projects, vitest.config.env);
    },
    onTestRunEnd() {
      release();
    },
  };
  vitest.config.reporters.push(reporter);
  // A run interrupted by close (Ctrl+C in watch mode, a fatal error) gives back too.
  vitest.onClose(release);
}

/** A plugin that only sizes the run's workers: what a root plugin adds to inline projects. */
export interface VitestSizer {
  name: string;
  configureVitest(context: { vitest: VitestLike }): void;
}

/**
 * Adds `sizer` to each inline project of a vitest config (`test.projects` entries that are
 * objects), in place: vitest reads those very objects when it creates the projects' servers,
 * and an inline project inherits the root's plugins only with `extends: true`. Config files
 * and globs in `test.projects` are left alone: their own configs name their plugins.
 */
export function sizeInlineProjects(test: unknown, sizer: VitestSizer): void {
  const projects = (test as { projects?: unknown } | undefined)?.projects;
  if (!Array.isArray(projects)) return;
  for (const project of projects) {
    if (typeof project !== 'object' || project === null || typeof (project as { then?: unknown }).then === 'function') continue;
    const inline = project as { plugins?: unknown };
    const plugins: unknown[] = Array.isArray(inline.plugins) ? inline.plugins : inline.plugins ? [inline.plugins] : [];
    // A watcher reloads the config into fresh objects; the same objects seen twice get one sizer.
    if (plugins.some((p) => (p as { name?: unknown } | null)?.name === sizer.name)) continue;
    inline.plugins = [...plugins, sizer];
  }
}

/**
 * After vitest's root server set up every project: the line to warn with if a jobserver governs
 * this process and no project's plugins sized the run (its workers then follow the core count).
 */
export function unsizedRunMessage(limiter: Limiter): string | undefined {
  if (!limiter.limited || sizedRuns().count > 0) return undefined;
  return (
    "jobslot: vitest's test workers are not sized to make's job slots: none of its projects has the jobslot plugin. " +
    'Add jobslot() to the plugins of each project config (or `extends: true` to inline projects).'
  );
}
