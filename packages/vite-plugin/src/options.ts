import type { Limiter } from '@jobslot/core';

/** The plugin hooks jobslot governs. */
export type GovernedHook = 'transform' | 'load' | 'renderChunk';

/** Options of {@link jobslot}. Every one is optional. */
export interface JobslotViteOptions {
  /**
   * The limiter that hands out slots. Share one across plugins and tools in a
   * process so they draw on the same tokens.
   * @default sharedLimiter() from @jobslot/core: one per process, over the jobserver in MAKEFLAGS
   */
  limiter?: Limiter;
  /**
   * Which hooks of the other plugins run in slots. `transform` and `load` are
   * where plugins compile (Babel, Svelte, MDX, image tools, CSS preprocessors);
   * `renderChunk` is where minifiers run (terser; esbuild in vite 7).
   * @default ['transform', 'load', 'renderChunk']
   */
  hooks?: GovernedHook[];
  /**
   * Plugins whose hooks are left alone, by name (exact string or RegExp).
   * jobslot itself and rolldown's native `builtin:` plugins are always left alone.
   * @default []
   */
  exclude?: Array<string | RegExp>;
  /**
   * Size vite's worker pools to the slots this process holds when the config is
   * made: `build.terserOptions.maxWorkers` and `css.preprocessorMaxWorkers`.
   * Values you set yourself are kept.
   * @default true
   */
  workerPools?: boolean;
  /**
   * Warn once when a jobserver is found but no `jobslot run` sized the native
   * thread pools (rolldown, esbuild), which this plugin cannot change.
   * @default true
   */
  warnNativeThreads?: boolean;
}

export interface ResolvedOptions {
  hooks: GovernedHook[];
  exclude: Array<string | RegExp>;
  workerPools: boolean;
  warnNativeThreads: boolean;
}

export function resolveOptions(options: JobslotViteOptions): ResolvedOptions {
  return {
    hooks: options.hooks ?? ['transform', 'load', 'renderChunk'],
    exclude: options.exclude ?? [],
    workerPools: options.workerPools ?? true,
    warnNativeThreads: options.warnNativeThreads ?? true,
  };
}
