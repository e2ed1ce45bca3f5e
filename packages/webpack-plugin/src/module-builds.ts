// Module builds in slots (the `moduleBuilds` option). webpack builds up to
// `parallelism` (100) modules at once; with loaders that hand CPU work to other
// threads (esbuild-loader, swc-loader, sass-embedded) that is up to 100 jobs'
// worth of threads. Here each build that runs loaders passes through a
// BuildGate first, from the start of its build until its loaders are done.
//
// Nested builds never deadlock: a build whose loader waits for another module
// (loadModule, importModule) lends its slot while it waits, and a child
// compilation has a gate of its own, whose own slot is the parent build's.
import type { Compilation } from 'webpack';
import { BuildGate } from './build-gate.js';
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

export function gateModuleBuilds(compilation: Compilation, scope: RunScope): BuildGate {
  const gate = new BuildGate(scope.limiter);
  const closeEarly = scope.keep(() => gate.close());
  // Builds holding a gate slot now, and how each gives it back (once).
  const inGate = new WeakMap<object, () => void>();

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
      gate.enter(() => {
        let left = false;
        const finish = () => {
          if (left) return;
          left = true;
          inGate.delete(module);
          gate.leave();
        };
        inGate.set(module, finish);
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
      });
    };
  });

  const hooks = compilation.compiler.webpack.NormalModule.getCompilationHooks(compilation);
  // After LoaderPlugin (stage 0) has put loadModule and importModule in place.
  hooks.loader.tap({ name: NAME, stage: 1000 }, (loaderContext, module) => {
    if (!inGate.has(module)) return;
    const context = loaderContext as unknown as NestingContext;
    const { loadModule, importModule } = context;
    if (typeof loadModule === 'function') {
      context.loadModule = function (this: unknown, request: string, callback: Callback) {
        gate.lend();
        return loadModule.call(this, request, (...result: unknown[]) => {
          gate.reclaim();
          callback(...result);
        });
      };
    }
    if (typeof importModule === 'function') {
      context.importModule = function (this: unknown, request: string, options?: unknown, callback?: Callback) {
        gate.lend();
        if (typeof callback === 'function') {
          return importModule.call(this, request, options, (...result: unknown[]) => {
            gate.reclaim();
            callback(...result);
          });
        }
        return Promise.resolve(importModule.call(this, request, options)).finally(() => gate.reclaim());
      };
    }
  });

  // The loaders are done and webpack parses the result on this thread, which
  // the process's own slot pays for: the build leaves the gate here, so the
  // next module's loaders overlap with this parse as they would without the gate.
  hooks.beforeParse.tap(NAME, (module) => inGate.get(module)?.());

  // Every module is built: nothing more to wait for; extra slots go back now.
  compilation.hooks.finishModules.tap(NAME, () => closeEarly());
  return gate;
}
