// The esbuild plugin: sizes esbuild's service when it is created, then checks
// in every build that the build runs on the service it sized.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { sharedLimiter } from '@jobslot/core';
import type { Plugin, PluginBuild } from 'esbuild';
import type { JobslotEsbuildOptions } from './options.js';
import { leaseService, serviceState, type EsbuildModule, type ServiceState } from './service.js';

/** An esbuild plugin that also owns the job slots of esbuild's service. */
export interface JobslotPlugin extends Plugin {
  readonly name: 'jobslot';
  /** How the service was started: its GOMAXPROCS and the slots held for it. */
  readonly service: ServiceState;
  /**
   * Lets go of the service: when no other jobslot plugin in the process still uses it,
   * esbuild's service is stopped (a later esbuild call starts a new one) and its
   * slots go back to the jobserver. Call it when the script has more to do after
   * building. Idempotent; process exit does the same.
   */
  close(): void;
}

function defaultMaxThreads(): number {
  const fromEnv = Number(process.env.GOMAXPROCS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
}

function loadEsbuild(): EsbuildModule {
  // The peer dependency, as the script's own `import 'esbuild'` would find it.
  return createRequire(import.meta.url)('esbuild') as EsbuildModule;
}

/**
 * Creates the plugin and, if a jobserver (or a `jobslot run` grant) governs this
 * process and esbuild's service is not running yet, starts the service with
 * GOMAXPROCS = the slots it could take without waiting: the process's own
 * slot plus free tokens, at most `maxThreads`. Create it before the first esbuild call in the process,
 * for instance inline: `esbuild.build({ plugins: [jobslot()] })`.
 */
export function jobslot(options: JobslotEsbuildOptions = {}): JobslotPlugin {
  const onWarning = options.onWarning ?? ((message: string) => console.warn(`jobslot: ${message}`));
  const esbuild = options.esbuild ?? loadEsbuild();
  const lease = leaseService(esbuild, {
    limiter: options.limiter ?? sharedLimiter(),
    maxThreads: Math.max(1, Math.floor(options.maxThreads ?? defaultMaxThreads())),
    onWarning,
  });
  let warned = false;

  const plugin = {
    name: 'jobslot' as const,
    setup(build: PluginBuild) {
      // The plugin cannot size a service that is already running this build, only
      // tell: a second esbuild copy, or a service restarted after close()/stop().
      const current = serviceState(build.esbuild as unknown as EsbuildModule);
      if (current !== lease.state && !warned && lease.state.threads !== undefined) {
        warned = true;
        onWarning('this build runs on an esbuild service the jobslot plugin did not start; its thread count is not limited');
      }
    },
  };
  // esbuild rejects a plugin object with enumerable keys other than name and
  // setup ("Invalid option on plugin"), so the extras are not enumerable.
  return Object.defineProperties(plugin, {
    service: { value: lease.state, enumerable: false },
    close: { value: () => lease.release(), enumerable: false },
  }) as JobslotPlugin;
}
