import type { Limiter } from '@jobslot/core';
import type { EsbuildModule } from './service.js';

/** Options of {@link jobslot}. */
export interface JobslotEsbuildOptions {
  /**
   * The esbuild module whose service to size. Pass your own import when the
   * script could load a different copy of esbuild than this package resolves.
   * @defaultValue `require('esbuild')` resolved from this package (the peer dependency)
   */
  esbuild?: EsbuildModule;
  /**
   * Most threads esbuild's service may use, and so the most job slots it takes:
   * the process's own slot plus up to `maxThreads - 1` tokens.
   * @defaultValue the GOMAXPROCS already in the environment if set (a ceiling you chose),
   * else `os.availableParallelism()`
   */
  maxThreads?: number;
  /**
   * The limiter whose slots the service takes.
   * @defaultValue `sharedLimiter()` from `@jobslot/core`: one per process, shared with other jobslot plugins
   */
  limiter?: Limiter;
  /**
   * Where warnings go (esbuild already running, a build on an esbuild this plugin did not size).
   * @defaultValue `console.warn` with a `jobslot:` prefix
   */
  onWarning?: (message: string) => void;
}
