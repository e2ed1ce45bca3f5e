// Module builds in slots (the `moduleBuilds` option). webpack builds up to
// `parallelism` (100) modules at once; with loaders that hand CPU work to other
// threads (esbuild-loader, swc-loader, sass-embedded) that is up to 100 jobs'
// worth of threads. Here each build that runs loaders takes a slot of the
// compilation's sub-pool (core's `limiter.subPool()`: the run's own slot plus
// extras borrowed while builds wait), from the start of its build until its
// loaders are done. The run's slot is always there, so builds never wait on
// the jobserver to make progress.
//
// Nested builds never deadlock: a build whose loader waits for another module
// (loadModule, importModule) lends its slot while it waits and claims one back
// without waiting (it is mid-build), and a child compilation has a pool of its
// own, whose base slot is the parent build's.
import type { Slot } from '@jobslot/core';
import { childPool, releaseOnce, type ChildPool } from '@jobslot/core/plugin';
import type { Compilation } from 'webpack';
import type { RunScope } from './run-scope.js';

const NAME = 'JobslotPlugin';

type Callback = (...args: unknown[]) => void;
interface BuildableModule {
  loaders?: unknown[];
  build: (...args: unknown[]) => unknown;
}
interface NestingContext {
  loadModule?: (request: string, callback: Callback) => void;
  importModule?: (request: string, options?: unknown, callback?: Callback) => unknown;
}

export function gateModuleBuilds(compilation: Compilation, scope: RunScope): ChildPool {
  const pool = childPool(scope.limiter);
  const closeEarly = scope.keep(() => pool.close());
  // Builds holding a slot of the pool now, and the slot (released once, however the build ends).
  const inGate = new WeakMap<object, Slot>();
  // Nested builds a build waits for now (its slot is lent while > 0).
  const lent = new WeakMap<object, number>();
  const leave = (module: object) => {
    inGate.get(module)?.release();
    inGate.delete(module);
  };

  compilation.hooks.buildModule.tap(NAME, (mod) => {
    const module = mod as unknown as BuildableModule;
    // Only builds that run loaders can put CPU elsewhere; the rest is this thread's work.
    if (!Array.isArray(module.loaders) || module.loaders.length === 0 || typeof module.build !== 'function') return;
    // webpack calls module.build() right after this hook: put a one-shot
    // wrapper in front of it, gone again before the real build runs.
    const hadOwn = Object.prototype.hasOwnProperty.call(module, 'build');
    const build = module.build;
    module.build = function (this: BuildableModule, ...args: unknown[]) {
      if (hadOwn) module.build = build;
      else delete (module as Partial<BuildableModule>).build;
      const callback = args[args.length - 1] as Callback;
      const start = (slot: Slot) => {
        const finish = () => leave(module);
        inGate.set(module, slot);
        args[args.length - 1] = (...result: unknown[]) => {
          finish();
          callback(...result);
        };
        try {
          build.apply(this, args);
        } catch (error) {
          finish();
          callback(error);
        }
      };
      pool.acquire().then(start, (error: unknown) => callback(error));
    };
  });

  const hooks = compilation.compiler.webpack.NormalModule.getCompilationHooks(compilation);
  // After LoaderPlugin (stage 0) has put loadModule and importModule in place.
  hooks.loader.tap({ name: NAME, stage: 1000 }, (loaderContext, module) => {
    if (!inGate.has(module)) return;
    const context = loaderContext as unknown as NestingContext;
    const { loadModule, importModule } = context;
    // Lends the build's slot for a nested build; `back()` claims one again
    // without waiting, after the last of overlapping nested builds.
    const lend = () => {
      const lending = lent.get(module) ?? 0;
      lent.set(module, lending + 1);
      if (lending === 0) inGate.get(module)?.release();
      return releaseOnce(() => {
        const left = lent.get(module)! - 1;
        lent.set(module, left);
        if (left === 0 && inGate.has(module)) inGate.set(module, pool.claim());
      });
    };
    if (typeof loadModule === 'function') {
      context.loadModule = function (this: unknown, request: string, callback: Callback) {
        const back = lend();
        return loadModule.call(this, request, (...result: unknown[]) => {
          back();
          callback(...result);
        });
      };
    }
    if (typeof importModule === 'function') {
      context.importModule = function (this: unknown, request: string, options?: unknown, callback?: Callback) {
        const back = lend();
        if (typeof callback === 'function') {
          return importModule.call(this, request, options, (...result: unknown[]) => {
            back();
            callback(...result);
          });
        }
        return Promise.resolve(importModule.call(this, request, options)).finally(back);
      };
    }
  });

  // The loaders are done and webpack parses the result on this thread, which
  // the process's own slot pays for: the build leaves the gate here, so the
  // next module's loaders overlap with this parse as they would without the gate.
  hooks.beforeParse.tap(NAME, (module) => leave(module));

  // Every module is built: nothing more to wait for; extra slots go back now.
  compilation.hooks.finishModules.tap(NAME, () => closeEarly());
  return pool;
}
