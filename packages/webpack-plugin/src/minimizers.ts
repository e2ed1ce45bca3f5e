// Minimizer worker pools. minimizer-webpack-plugin (webpack's default minimizer
// since 5.108), terser-webpack-plugin and css-minimizer-webpack-plugin all work
// the same way: apply() computes `availableNumberOfCores` once
// (availableParallelism() - 1, or `parallel`), and every processAssets pass
// calls `this.optimize(compiler, compilation, assets, { availableNumberOfCores })`,
// which starts a jest-worker pool of min(assets to minify, cores) workers and
// ends it when the pass is over. That call is the moment minifying starts, and
// its option is the pool size, so each instance gets its own `optimize` that
// takes tokens without waiting, sizes the pool to the slots held and gives
// them back when the pass ends.
//
// webpack's default minimizer is a plain `{ apply }` entry that creates its
// MinimizerPlugin inside apply(), so the instance is never in the config. For
// such entries the known minimizer classes are watched while the entry applies
// (synchronously, restored right after) to catch the instances it creates.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Compiler } from 'webpack';
import type { Reservation, SubPool } from '@jobslot/core';

/**
 * Where a pool's extra slots come from: the run's sub-pool (tokens only; the
 * run holds its own slot), and, when that comes up short, `topUp` (top-up.ts).
 */
type Extras = Pick<SubPool, 'tryReserve'> & { topUp?(want: number, have: number): Promise<Reservation> };

/** The shape the minimizer family shares. */
interface PoolMinimizer {
  options: { parallel?: unknown; test?: unknown; include?: unknown; exclude?: unknown };
  optimize(compiler: Compiler, compilation: CompilationLike, assets: Record<string, unknown>, optimizeOptions?: OptimizeOptions, ...rest: unknown[]): Promise<unknown>;
}
interface OptimizeOptions {
  availableNumberOfCores?: number;
  [key: string]: unknown;
}
interface CompilationLike {
  getAsset(name: string): { info: Record<string, unknown> } | undefined;
}
type ApplyFn = (this: unknown, compiler: Compiler) => unknown;
type MinimizerClass = (abstract new (...args: never[]) => unknown) & { prototype: { apply: ApplyFn } };

/** Packages whose instances a function or `{ apply }` entry may create. */
const KNOWN_PACKAGES = ['minimizer-webpack-plugin', 'terser-webpack-plugin', 'css-minimizer-webpack-plugin'];

// Shared by the ESM and CJS copies of this package, so an instance is wrapped once.
const WRAPPED = Symbol.for('jobslot.webpack-plugin.minimizer');

export function isPoolMinimizer(value: unknown): value is PoolMinimizer {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<PoolMinimizer>;
  return typeof candidate.optimize === 'function' && typeof candidate.options === 'object' && candidate.options !== null && 'parallel' in candidate.options;
}

/**
 * How many assets this pass may give the pool at most: the names the
 * instance's test/include/exclude accept, less those already minimized. An
 * upper bound (cached results are not known until the pass looks them up), so
 * it never sizes a pool smaller than the plugin would have made it.
 */
function candidates(minimizer: PoolMinimizer, compiler: Compiler, compilation: CompilationLike, assets: Record<string, unknown>): number {
  const match = compiler.webpack?.ModuleFilenameHelpers?.matchObject as ((obj: object, name: string) => boolean) | undefined;
  let count = 0;
  for (const name of Object.keys(assets)) {
    const info = compilation.getAsset(name)?.info ?? {};
    if (info.minimized || info.extractedComments) continue;
    if (match && !match(minimizer.options, name)) continue;
    count++;
  }
  return count;
}

/** Gives one minimizer instance an `optimize` that sizes its pool to the slots held. */
export function wrapMinimizer(minimizer: PoolMinimizer, extras: Extras): void {
  const marked = minimizer as unknown as Record<symbol, unknown>;
  if (marked[WRAPPED]) return;
  marked[WRAPPED] = true;
  const optimize = minimizer.optimize;
  minimizer.optimize = async function (this: PoolMinimizer, compiler, compilation, assets, optimizeOptions, ...rest) {
    const cores = optimizeOptions?.availableNumberOfCores;
    // parallel: false (0 cores) runs in this thread, which our slot pays for.
    if (typeof cores !== 'number' || cores < 1) return optimize.call(this, compiler, compilation, assets, optimizeOptions, ...rest);
    let wanted: number;
    try {
      wanted = Math.min(cores, candidates(this, compiler, compilation, assets));
    } catch {
      wanted = cores;
    }
    // One worker runs on the slot the compiler run holds (this thread only
    // waits for the pool meanwhile); the others need tokens of their own.
    const reservation = extras.tryReserve(Math.max(0, wanted - 1));
    const short = Math.max(0, wanted - 1 - reservation.slots);
    const more = short > 0 && extras.topUp ? await extras.topUp(short, reservation.slots) : undefined;
    try {
      return await optimize.call(this, compiler, compilation, assets, { ...optimizeOptions, availableNumberOfCores: 1 + reservation.slots + (more?.slots ?? 0) }, ...rest);
    } finally {
      reservation.release();
      more?.release();
    }
  };
}

/** A require resolving from `file`; its `.cache` is the process's one CommonJS module cache. */
function requireFrom(file: string): NodeJS.Require {
  return createRequire(file);
}

/** Where this compiler's webpack lives: its default minimizer is resolved from there. */
function webpackEntryFile(compiler: Compiler): string | undefined {
  const cache = requireFrom(join(compiler.context, 'noop.js')).cache;
  for (const mod of Object.values(cache)) {
    if (mod && mod.exports === compiler.webpack) return mod.filename;
  }
  return undefined;
}

/** The minimizer classes a hidden entry may instantiate, as webpack and the project resolve them. */
function knownClasses(compiler: Compiler): MinimizerClass[] {
  const from = [join(compiler.context, 'noop.js')];
  const webpackFile = webpackEntryFile(compiler);
  if (webpackFile) from.unshift(join(dirname(webpackFile), 'config', 'defaults.js'));
  const classes = new Set<MinimizerClass>();
  for (const file of from) {
    const req = requireFrom(file);
    for (const name of KNOWN_PACKAGES) {
      try {
        const exported = req(name) as unknown;
        const cls = (typeof exported === 'function' ? exported : (exported as { default?: unknown } | null)?.default) as MinimizerClass | undefined;
        if (cls && typeof cls === 'function' && typeof (cls as MinimizerClass).prototype?.apply === 'function') classes.add(cls);
      } catch {
        // not installed where this file looks: nothing of it to catch
      }
    }
  }
  return [...classes];
}

/** Runs `apply` while the given classes report every instance applied meanwhile. */
function catchInstances(classes: MinimizerClass[], apply: () => void, found: (instance: unknown) => void): void {
  const restore: Array<() => void> = [];
  for (const cls of classes) {
    const proto = cls.prototype;
    const own = Object.prototype.hasOwnProperty.call(proto, 'apply');
    const original = proto.apply;
    proto.apply = function (this: unknown, compiler: Compiler) {
      found(this);
      return original.call(this, compiler);
    };
    restore.push(() => {
      if (own) proto.apply = original;
      else delete (proto as Partial<typeof proto>).apply;
    });
  }
  try {
    apply();
  } finally {
    // Restored in reverse so a subclass and its base both end as they began.
    for (const undo of restore.reverse()) undo();
  }
}

type MinimizerEntry = unknown;

/** Wraps the minimizer instances the config holds (in `plugins` and `optimization.minimizer`). */
export function wrapConfiguredMinimizers(compiler: Compiler, extras: Extras): void {
  const { optimization, plugins } = compiler.options;
  const minimizer = Array.isArray(optimization?.minimizer) ? (optimization.minimizer as unknown[]) : [];
  for (const candidate of [...(plugins ?? []), ...minimizer]) if (isPoolMinimizer(candidate)) wrapMinimizer(candidate, extras);
}

/**
 * Wraps the pool of every minimizer this compiler will apply. Called after
 * webpack filled in its defaults (afterEnvironment) and before it applies the
 * minimizers, so the default entry is in `optimization.minimizer` by now.
 */
export function sizeMinimizerPools(compiler: Compiler, extras: Extras): void {
  wrapConfiguredMinimizers(compiler, extras);
  const { optimization } = compiler.options;
  if (!optimization?.minimize || !Array.isArray(optimization.minimizer)) return;
  const entries = optimization.minimizer as MinimizerEntry[];
  let classes: MinimizerClass[] | undefined;
  const caught = (instance: unknown) => {
    if (isPoolMinimizer(instance)) wrapMinimizer(instance, extras);
  };
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    // Instances are wrapped above; an entry wrapped already (a second plugin) stays as it is.
    if (isPoolMinimizer(entry) || (entry as Record<symbol, unknown> | null)?.[WRAPPED]) continue;
    if (typeof entry === 'function') {
      const fn = entry as ApplyFn;
      const wrapper = function (this: unknown, target: Compiler) {
        catchInstances((classes ??= knownClasses(compiler)), () => fn.call(this, target), caught);
      };
      (wrapper as unknown as Record<symbol, unknown>)[WRAPPED] = true;
      entries[i] = wrapper;
    } else if (typeof entry === 'object' && entry !== null && typeof (entry as { apply?: unknown }).apply === 'function') {
      const original = entry as { apply: ApplyFn };
      // A wrapper that inherits from the entry, so whatever webpack reads off
      // it (say, `options` when it looks for a minimizer claiming CSS) is unchanged.
      const wrapper = Object.create(original) as { apply: ApplyFn } & Record<symbol, unknown>;
      wrapper.apply = (target: Compiler) => {
        catchInstances((classes ??= knownClasses(compiler)), () => original.apply(target), caught);
      };
      wrapper[WRAPPED] = true;
      entries[i] = wrapper;
    }
  }
}
