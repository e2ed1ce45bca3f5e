// The esbuild plugin: each build (and rebuild) that uses it runs in a slot,
// from onStart to onEnd, and the plugins it governs run their callbacks in slots.
import { currentHold } from '@jobslot/core';
import { childPool } from '@jobslot/core/plugin';
import type { Plugin, PluginBuild } from 'esbuild';
import { resolveOptions, type JobslotEsbuildOptions, type Resolved } from './options.js';
import { serviceFor, type EsbuildModule, type Lease } from './service.js';
import { setupGoverned } from './wrap.js';

/** The esbuild plugin {@link jobslot} returns. */
export interface JobslotPlugin extends Plugin {
  readonly name: 'jobslot';
}

/**
 * A lease that this package's `build`/`context` took before the call reached
 * esbuild, for the next onStart of the setup they made to adopt.
 */
export interface Handoff {
  lease?: Lease;
}

const INTERNAL = Symbol.for('jobslot.esbuild-plugin.internal');

export interface Internal {
  resolved: Resolved;
  /** The same plugin, for a setup made by this package's build/context. */
  derive(handoff: Handoff): Plugin;
}

export function internalOf(plugin: Plugin): Internal | undefined {
  return (plugin as unknown as Record<symbol, Internal | undefined>)[INTERNAL];
}

function makePlugin(resolved: Resolved, handoff: Handoff | undefined): JobslotPlugin {
  const plugin = {
    name: 'jobslot' as const,
    async setup(build: PluginBuild) {
      const limiter = resolved.limiter();
      // A build started from inside a governed callback runs in that callback's slot.
      // setup runs in the async context of the esbuild call; the callbacks do not.
      const parent = currentHold();
      // The build's slot, shared by its callbacks while it holds it (see wrap.ts).
      const pool = childPool(limiter, { base: false });
      const service = serviceFor(build.esbuild as unknown as EsbuildModule);
      // A setup this package did not make (esbuild.build/context called directly)
      // would break if the service restarted under it.
      const unpin = limiter.limited && !handoff ? service.pin() : undefined;
      let lease: Lease | undefined;
      // A lease this package's build/rebuild took ends when that call settles,
      // not here: esbuild sends the result after onEnd, and a build waiting for
      // the slot could otherwise restart the service under it.
      let adopted = false;
      let waiting: AbortController | undefined;
      const finish = () => {
        pool.setBase(false);
        if (!adopted) lease?.end();
        lease = undefined;
      };

      build.onStart(async () => {
        // Without a jobserver: nothing to share, no waiting.
        if (!limiter.limited) return;
        finish();
        let next = handoff?.lease;
        if (handoff) handoff.lease = undefined;
        adopted = next !== undefined;
        if (!next && parent && !parent.ended) next = service.lease();
        if (!next) {
          waiting = new AbortController();
          try {
            next = await service.begin(limiter, undefined, waiting.signal);
          } finally {
            waiting = undefined;
          }
        }
        lease = next;
        pool.setBase(true);
      });
      // onEnd runs for failed builds too; onDispose covers a context disposed mid-build.
      build.onEnd(() => finish());
      build.onDispose(() => {
        waiting?.abort();
        finish();
        unpin?.();
      });

      for (const governed of resolved.plugins) await setupGoverned(governed, build, pool, limiter);
    },
  };
  // esbuild rejects a plugin object with enumerable keys other than name and
  // setup ("Invalid option on plugin"), so the internals are not enumerable.
  const internal: Internal = { resolved, derive: (h) => makePlugin(resolved, h) };
  return Object.defineProperty(plugin, INTERNAL, { value: internal, enumerable: false });
}

/**
 * An esbuild plugin: each build or rebuild that uses it waits for a job slot
 * in onStart and gives it back in onEnd (or onDispose), so builds started at
 * once in one process run at most 1 + held at a time. A context in watch or
 * serve mode holds nothing while idle. `options.plugins` run their
 * onResolve/onLoad callbacks in slots too. Without a jobserver it changes nothing.
 *
 * esbuild's Go threads are fixed when its service starts: use this package's
 * `build` and `context` to size them to the slots, or `jobslot run`.
 */
export function jobslot(options: JobslotEsbuildOptions = {}): JobslotPlugin {
  return makePlugin(resolveOptions(options), undefined);
}
