import type { Compiler } from 'webpack';
import { sharedLimiter } from '@jobslot/core';
import { sizeMinimizerPools, wrapConfiguredMinimizers } from './minimizers.js';
import { appliedOutsideWebpack, guardOptionsProperty, isCompiler } from './misplaced.js';
import { gateModuleBuilds } from './module-builds.js';
import { resolveOptions, type JobslotPluginOptions, type ResolvedOptions } from './options.js';
import { RunScope } from './run-scope.js';
import { isRspack, warnForRspack } from './rspack.js';
import { sizeThreadLoaderPools } from './thread-loader.js';
import { topUp } from './top-up.js';

const NAME = 'JobslotPlugin';

/**
 * What the plugin is applied to: a webpack 5 or an rspack 2 `Compiler`.
 * Declared by shape, not imported from either tool, so that the plugin's
 * types resolve with only one of them installed (both are optional peers):
 * an rspack project has no `webpack` module for a `.d.ts` to import.
 */
export interface CompilerLike {
  readonly hooks: object;
  readonly options: object;
}

/**
 * Makes a webpack (or rspack) compiler follow GNU make's job tokens: each run holds one
 * slot (so a MultiCompiler runs at most 1 + held compilers at once), minimizer
 * and thread-loader pools are sized to the slots held, and, optionally, module
 * builds run in slots. Without a jobserver it does nothing.
 *
 * Add it to every config of an array config (one instance may be shared).
 */
export class JobslotPlugin {
  readonly options: ResolvedOptions;

  constructor(options?: JobslotPluginOptions) {
    this.options = guardOptionsProperty(resolveOptions(options));
  }

  apply(compilerLike: CompilerLike): void {
    // vite calls `apply(config, env)` as its own filter: undefined drops us there.
    if (!isCompiler(compilerLike)) return appliedOutsideWebpack();
    // rspack's Compiler implements the hooks used here under the same names (see rspack.ts).
    const compiler = compilerLike as Compiler;
    const limiter = this.options.limiter ?? sharedLimiter();
    // No jobserver, no grant: nothing to follow, webpack runs as it always does.
    if (!limiter.limited) return;
    const scope = new RunScope(limiter);
    const rspack = isRspack(compiler);
    if (rspack) warnForRspack(this.options, limiter);

    // Acquire when a run starts; give back when it ends, however it ends. An
    // idle watcher holds nothing. Child compilers never run these hooks, so
    // they never wait for a slot of their own.
    const begin = () => scope.begin();
    const end = () => scope.end();
    compiler.hooks.beforeRun.tapPromise(NAME, begin);
    compiler.hooks.watchRun.tapPromise(NAME, begin);
    // A plugin that asks for another pass gets it after `done` gave the slot back.
    compiler.hooks.additionalPass.tapPromise(NAME, begin);
    compiler.hooks.done.tap(NAME, end);
    compiler.hooks.failed.tap(NAME, end);
    compiler.hooks.watchClose.tap(NAME, end);
    compiler.hooks.shutdown.tap(NAME, end);

    if (this.options.minimizers) {
      // Slots for a minimizer pass's workers: free ones now, then a short wait for more (top-up.ts).
      const poolSlots = {
        tryReserve: (want: number) => scope.extras.tryReserve(want),
        topUp: (want: number, have: number) => topUp(limiter, want, have, (more) => scope.extras.tryReserve(more)),
      };
      // Instances already in the config can be wrapped now (this also covers a
      // plugin applied after webpack() returned); the default minimizer exists
      // only once webpack has applied its defaults, which afterEnvironment follows.
      wrapConfiguredMinimizers(compiler, poolSlots);
      compiler.hooks.afterEnvironment.tap(NAME, () => sizeMinimizerPools(compiler, poolSlots));
    }

    // rspack builds modules natively: nothing of theirs to hold in a slot (see rspack.ts).
    const moduleBuilds = this.options.moduleBuilds && !rspack;
    if (this.options.threadLoader || moduleBuilds) {
      // Also runs for child compilations (webpack copies `compilation` taps to
      // child compilers); their reservations end with the parent's run.
      compiler.hooks.compilation.tap(NAME, (compilation) => {
        if (this.options.threadLoader) sizeThreadLoaderPools(compilation, scope);
        if (moduleBuilds) gateModuleBuilds(compilation, scope);
      });
    }
  }
}
