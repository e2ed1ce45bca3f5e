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

interface LoaderItem {
  loader: string;
}
interface LoaderContextLike {
  getOptions(...args: unknown[]): unknown;
}
interface ModuleLike {
  getCurrentLoader(loaderContext: unknown): LoaderItem | null;
}

export function isThreadLoader(item: LoaderItem | null | undefined): boolean {
  return !!item && typeof item.loader === 'string' && /[\\/]thread-loader[\\/]/.test(item.loader);
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
  hooks.beforeLoaders.tap(NAME, (loaders, module, loaderContext) => {
    if (!loaders.some((item) => isThreadLoader(item as LoaderItem))) return;
    const context = loaderContext as unknown as LoaderContextLike;
    const getOptions = context.getOptions;
    // Per module and without touching the rule: the config keeps its options.
    context.getOptions = function (this: unknown, ...args: unknown[]) {
      const options = getOptions.apply(this, args);
      if (!isThreadLoader((module as unknown as ModuleLike).getCurrentLoader(context))) return options;
      return { ...(options as object), workers: poolSize(requestedWorkers(options)) };
    };
  });

  // Module building is over: the pool idles until its poolTimeout ends it.
  compilation.hooks.finishModules.tap(NAME, () => {
    for (const release of releases.splice(0)) release();
    held = 0;
  });
}
