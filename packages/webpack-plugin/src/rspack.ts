// rspack: webpack's plugin API over a Rust core. The plugin's run slots
// (beforeRun/done/...), JS minimizer pools (terser-webpack-plugin and kin, if
// the config uses them) and thread-loader sizing work on its compiler as on
// webpack's. What differs:
//
// - Its parallelism is native: module builds, code splitting, the built-in
//   SWC and Lightning CSS minimizers and hashing run on tokio's worker pool
//   and rayon's global pool, one thread per core each, made when the binding
//   loads (tokio) or on first use (rayon), and sized only by
//   TOKIO_WORKER_THREADS and RAYON_NUM_THREADS in the process's environment.
//   The binding loads before the config (and so this plugin) does. Rayon's
//   pool comes later, but setting its variable here would mean setenv under
//   the binding's running threads (glibc's environment is not thread-safe)
//   and a variable leaking into every child process. So `jobslot run`, which
//   sets both before the process starts, sizes them; without it the plugin
//   says so once.
// - Module builds are native tasks with no JS `build()` to hold in a slot,
//   and NormalModule has no beforeParse hook: `moduleBuilds` cannot apply,
//   and says so once instead of failing the build.
import type { Compiler } from 'webpack';
import type { Limiter } from '@jobslot/core';
import { nativeThreadsWarning, oncePerProcess } from '@jobslot/core/plugin';
import type { ResolvedOptions } from './options.js';

/** Whether `compiler` is rspack's (its exports name their version; webpack's do not). */
export function isRspack(compiler: Compiler): boolean {
  const api = (compiler as { webpack?: { rspackVersion?: unknown } }).webpack;
  return typeof api?.rspackVersion === 'string';
}

// On stderr, as core does: rsbuild quiets rspack's infrastructure logger, where a plugin would log.
function warn(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The warnings that apply to rspack's compiler, given once per process. */
export function warnForRspack(options: ResolvedOptions, limiter: Limiter): void {
  // Once per process: every compiler of an array config (and the ESM and CJS
  // copies of this package) would otherwise repeat the same advice.
  if (options.moduleBuilds && oncePerProcess('webpack-plugin:rspack-moduleBuilds')) {
    warn(
      '@jobslot/webpack-plugin: moduleBuilds does nothing on rspack: its module builds run in its native core, not in JS. ' +
        'Remove the option, and run rspack as `jobslot run -- rspack build` to size that core to the job slots.',
    );
  }
  // `jobslot run` (or the user) sets these before the process starts; if none is set,
  // rspack's core runs a thread per core whatever the tokens say.
  const advice = options.warnNativeThreads
    ? nativeThreadsWarning(limiter.client, {
        tool: 'rspack',
        threads: 'thread pools (tokio, rayon)',
        command: 'rspack build',
        variables: ['TOKIO_WORKER_THREADS', 'RAYON_NUM_THREADS'],
      })
    : undefined;
  if (advice) warn(advice);
}
