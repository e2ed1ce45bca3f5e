import type { Limiter } from '@jobslot/core';
import { isLimiter, optionCheck, type OptionCheck } from '@jobslot/core/plugin';

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
   * Plugins whose hooks are left alone, by name: an exact name or a RegExp, or
   * an array of them. jobslot itself and rolldown's native `builtin:` plugins
   * are always left alone.
   * @default []
   */
  exclude?: string | RegExp | Array<string | RegExp>;
  /**
   * Size vite's worker pools to the slots this process holds when the config is
   * made: `build.terserOptions.maxWorkers` and `css.preprocessorMaxWorkers`;
   * and under vitest, its test workers (`maxWorkers`) to the slots held for
   * each test run. Values you set yourself are kept, as ceilings.
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

const OPTIONS = ['limiter', 'hooks', 'exclude', 'workerPools', 'warnNativeThreads'];
const HOOKS: GovernedHook[] = ['transform', 'load', 'renderChunk'];

/** Per entry: the /rollup entry has no `workerPools` (vite's own pools), and its messages name it. */
const CHECKS: Record<'vite' | 'rollup', OptionCheck> = {
  vite: optionCheck('@jobslot/vite-plugin', OPTIONS),
  rollup: optionCheck('@jobslot/vite-plugin/rollup', OPTIONS.filter((o) => o !== 'workerPools')),
};

const isPattern = (e: unknown): e is string | RegExp => typeof e === 'string' || e instanceof RegExp;

/**
 * Checks options as JavaScript callers pass them: a typo or a wrong type is a
 * TypeError naming the option, when the plugin is made, not a crash mid-build.
 */
function validate(options: unknown, check: OptionCheck): asserts options is JobslotViteOptions {
  const { invalid } = check;
  check.object(options);
  const o = options;
  if (o.limiter !== undefined && !isLimiter(o.limiter)) {
    throw invalid('limiter', "a limiter from @jobslot/core's createLimiter() or sharedLimiter()", o.limiter);
  }
  if (o.hooks !== undefined && !(Array.isArray(o.hooks) && o.hooks.every((h) => HOOKS.includes(h as GovernedHook)))) {
    throw invalid('hooks', `an array of ${HOOKS.map((h) => `'${h}'`).join(', ')}`, o.hooks);
  }
  if (o.exclude !== undefined && !(isPattern(o.exclude) || (Array.isArray(o.exclude) && o.exclude.every(isPattern)))) {
    throw invalid('exclude', 'a plugin name (string), a RegExp, or an array of them', o.exclude);
  }
  for (const key of ['workerPools', 'warnNativeThreads']) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw invalid(key, 'true or false', o[key]);
  }
}

export function resolveOptions(options: JobslotViteOptions, entry: 'vite' | 'rollup' = 'vite'): ResolvedOptions {
  validate(options, CHECKS[entry]);
  const exclude = options.exclude ?? [];
  return {
    hooks: options.hooks ?? [...HOOKS],
    exclude: Array.isArray(exclude) ? exclude : [exclude],
    workerPools: options.workerPools ?? true,
    warnNativeThreads: options.warnNativeThreads ?? true,
  };
}
