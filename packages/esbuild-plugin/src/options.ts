import { availableParallelism } from 'node:os';
import { createLimiter, sharedClient, sharedLimiter, type JobClient, type Limiter } from '@jobslot/core';
import { isLimiter, optionCheck, type OptionCheck } from '@jobslot/core/plugin';
import type { Plugin } from 'esbuild';
import { defaultEsbuild, type EsbuildModule } from './service.js';

/** Options of {@link jobslot}. Every one is optional. */
export interface JobslotEsbuildOptions {
  /**
   * The jobserver client whose tokens builds take. With it (or with `max`),
   * this plugin has a limiter of its own over that client; tokens and the
   * process's own slot are still shared with every other limiter in the
   * process, so together they never run more than 1 + held at once.
   * @defaultValue the process's shared client (`JobClient.fromEnv()` once per process), through
   * core's `sharedLimiter()`: every plugin instance in the process shares one limiter
   */
  client?: JobClient;
  /**
   * The most slots at once: builds of this plugin, callbacks of the plugins it
   * governs, and esbuild's Go threads when this package's `build`/`context`
   * start the service. Per instance: pass one instance to every build to
   * apply one `max` to all. A whole number, at least 1.
   * @defaultValue no limit of the plugin's own (the jobserver's tokens are the limit);
   * Go threads: `GOMAXPROCS` from the environment if set (a ceiling you chose), else `os.availableParallelism()`
   */
  max?: number;
  /**
   * A limiter to take slots from, to share one with other tools in the
   * process. Wins over `client` and `max` (the limiter has its own).
   * @defaultValue `sharedLimiter()` from `@jobslot/core`, or a limiter over `client` with `max`
   */
  limiter?: Limiter;
  /**
   * Plugins whose `onResolve` and `onLoad` callbacks run in slots (Sass, Babel,
   * Svelte: the expensive ones). They are set up inside this plugin, in its
   * place in the `plugins` list.
   * @defaultValue `[]`
   */
  plugins?: Plugin[];
  /**
   * The esbuild module this package's `build` and `context` call. Pass your
   * own import when the script could load another copy of esbuild than the one
   * this package resolves.
   * @defaultValue `require('esbuild')` resolved from this package (the peer dependency)
   */
  esbuild?: typeof import('esbuild');
}

export interface Resolved {
  /** The limiter, made on first use (a plugin that never builds never reads MAKEFLAGS). */
  limiter(): Limiter;
  /** Most Go threads for the service. */
  ceiling(): number;
  plugins: Plugin[];
  esbuild(): EsbuildModule;
}

function gomaxprocsCeiling(): number | undefined {
  const value = Number(process.env.GOMAXPROCS);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

const OPTIONS = ['client', 'max', 'limiter', 'plugins', 'esbuild'];

const check: OptionCheck = optionCheck('@jobslot/esbuild-plugin', OPTIONS);
const { hasMethods, invalid } = check;

/**
 * Checks options as JavaScript callers pass them: a typo or a wrong type is a
 * TypeError naming the option, never a plugin that silently does less.
 */
function validate(options: unknown): asserts options is JobslotEsbuildOptions {
  check.object(options);
  const o = options;
  if (o.client !== undefined && !hasMethods(o.client, ['acquire', 'close'])) {
    throw invalid('client', 'a JobClient from @jobslot/core', o.client);
  }
  if (o.max !== undefined && !(typeof o.max === 'number' && Number.isInteger(o.max) && o.max >= 1)) {
    throw invalid('max', 'a whole number of at least 1', o.max);
  }
  if (o.limiter !== undefined && !isLimiter(o.limiter)) {
    throw invalid('limiter', "a limiter from @jobslot/core's createLimiter() or sharedLimiter()", o.limiter);
  }
  if (o.plugins !== undefined) {
    const ok = Array.isArray(o.plugins) && o.plugins.every((p) => hasMethods(p, ['setup']) && typeof (p as { name?: unknown }).name === 'string');
    if (!ok) throw invalid('plugins', 'an array of esbuild plugins ({ name, setup })', o.plugins);
  }
  if (o.esbuild !== undefined && !hasMethods(o.esbuild, ['build', 'context'])) {
    throw invalid('esbuild', 'the esbuild module (with build and context)', o.esbuild);
  }
}

export function resolveOptions(options: JobslotEsbuildOptions): Resolved {
  validate(options);
  const max = options.max;
  let limiter = options.limiter;
  return {
    limiter() {
      limiter ??= options.client || max !== undefined ? createLimiter(options.client ?? sharedClient(), { max, label: 'esbuild' }) : sharedLimiter();
      return limiter;
    },
    ceiling: () => max ?? gomaxprocsCeiling() ?? availableParallelism(),
    plugins: options.plugins ?? [],
    esbuild: () => (options.esbuild as EsbuildModule | undefined) ?? defaultEsbuild(),
  };
}
