// thread-loader pools. thread-loader reads its options in each module's pitch
// and keeps one pool per distinct option set, of `workers` child processes
// (default: cpus - 1), started as jobs arrive. So the pool is sized where it
// reads its options: for the modules of a compilation it sees a `workers` of
// 1 + the slots reserved (without waiting) the first time a module uses it.
// The extra slots go back when module building ends (finishModules), or when
// the run ends if it fails first.
import { cpus } from 'node:os';
import type { Compilation } from 'webpack';
import type { RunScope } from './run-scope.js';

const NAME = 'JobslotPlugin';

/** A rule's loader entry (webpack: `loader`) or a loader-runner object (rspack: `path`). */
interface LoaderItem {
  loader?: string;
  path?: string;
}
interface LoaderContextLike {
  getOptions(...args: unknown[]): unknown;
  loaders?: LoaderItem[];
  loaderIndex?: number;
}
interface ModuleLike {
  getCurrentLoader?(loaderContext: unknown): LoaderItem | null;
}

/** The loader whose options are being read: webpack's module knows; on rspack the context does. */
function currentLoader(module: ModuleLike, context: LoaderContextLike): LoaderItem | null | undefined {
  if (typeof module.getCurrentLoader === 'function') return module.getCurrentLoader(context);
  return typeof context.loaderIndex === 'number' ? context.loaders?.[context.loaderIndex] : undefined;
}

export function isThreadLoader(item: LoaderItem | null | undefined): boolean {
  const path = item?.loader ?? item?.path;
  return typeof path === 'string' && /[\\/]thread-loader[\\/]/.test(path);
}

/** What thread-loader would start without us (its own default). */
function requestedWorkers(options: unknown): number {
  const workers = (options as { workers?: unknown } | null)?.workers;
  if (typeof workers === 'number' && workers > 0) return Math.floor(workers);
  return Math.max(1, (cpus()?.length ?? 1) - 1);
}

export function sizeThreadLoaderPools(compilation: Compilation, scope: RunScope): void {
  let held = 0;
  const releases: Array<() => void> = [];

  /** Pool size for a rule asking for `requested` workers: 1 + slots held, topped up without waiting. */
  const poolSize = (requested: number): number => {
    if (held < requested - 1) {
      const reservation = scope.reserve(requested - 1 - held);
      held += reservation.slots;
      releases.push(reservation.release);
    }
    return Math.min(requested, 1 + held);
  };

  const hooks = compilation.compiler.webpack.NormalModule.getCompilationHooks(compilation);
  const wrapOptions = (loaders: readonly unknown[], module: unknown, loaderContext: unknown) => {
    if (!loaders.some((item) => isThreadLoader(item as LoaderItem))) return;
    const context = loaderContext as unknown as LoaderContextLike;
    const getOptions = context.getOptions;
    // Per module and without touching the rule: the config keeps its options.
    context.getOptions = function (this: unknown, ...args: unknown[]) {
      const options = getOptions.apply(this, args);
      if (!isThreadLoader(currentLoader(module as ModuleLike, context))) return options;
      return { ...(options as object), workers: poolSize(requestedWorkers(options)) };
    };
  };
  // rspack has no beforeLoaders; its `loader` hook comes at the same point, with the loaders on the context.
  if (hooks.beforeLoaders) hooks.beforeLoaders.tap(NAME, wrapOptions);
  else hooks.loader.tap(NAME, (loaderContext, module) => wrapOptions((loaderContext as LoaderContextLike).loaders ?? [], module, loaderContext));

  // Module building is over: the pool idles until its poolTimeout ends it.
  compilation.hooks.finishModules.tap(NAME, () => {
    for (const release of releases.splice(0)) release();
    held = 0;
  });
}
