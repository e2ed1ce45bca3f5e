// Sets up other plugins with a PluginBuild whose onResolve/onLoad callbacks
// run in slots.
//
// A build in flight holds one slot. Its callbacks share it through the build's
// child pool (core's `limiter.subPool()`, the build's slot its base while the
// build holds it; callbacks beyond it borrow while they wait), so a build
// never deadlocks on itself when it holds the only slot there is.
//
// Two ways of nesting must not deadlock either:
// - a callback that awaits `build.resolve()` waits for other callbacks of the
//   same build, which esbuild calls in a fresh async context: the callback
//   gives its slot back while it waits there, and takes one again after
//   (a job waiting is not a job running): core's `lendSlotDuring()`;
// - a callback that calls another governed one directly, or runs a whole
//   esbuild build (bundling a worker, say): it runs inline in the callback's
//   slot, core's `currentHold()` (see plugin.ts for the build).
import { lendSlotDuring, type Limiter, type SubPool } from '@jobslot/core';
import type { OnLoadArgs, OnLoadResult, OnResolveArgs, OnResolveResult, Plugin, PluginBuild } from 'esbuild';

type Callback<A, R> = (args: A) => R | null | undefined | Promise<R | null | undefined>;

interface Reported {
  errors?: Array<{ pluginName?: string }>;
  warnings?: Array<{ pluginName?: string }>;
}

/** `messages` with the wrapped plugin's name on each that has none. */
function named<M extends { pluginName?: string }>(name: string, messages: M[] | undefined): M[] | undefined {
  return messages?.map((m) => (m && typeof m === 'object' && m.pluginName === undefined ? { ...m, pluginName: name } : m));
}

/**
 * Calls `callback` in a slot, keeping the wrapped plugin's name on what it
 * reports: esbuild would otherwise name every message after `jobslot`, the
 * plugin that registered the callback.
 */
function governed<A, R extends Reported>(name: string, pool: SubPool, limiter: Limiter, callback: Callback<A, R>): Callback<A, R> {
  return async (args: A) => {
    let result: R | null | undefined;
    try {
      // Without a jobserver: nothing to share, no waiting.
      result = limiter.limited ? await pool.run(() => callback(args)) : await callback(args);
    } catch (error) {
      // A thrown error (or a rejected promise) fails the build as before, under the plugin's own name.
      const text = error instanceof Error ? error.message : String(error);
      return { errors: [{ pluginName: name, text, detail: error }] } as unknown as R;
    }
    if (!result || typeof result !== 'object' || (!result.errors && !result.warnings)) return result;
    const out = { ...result };
    if (result.errors) out.errors = named(name, result.errors);
    if (result.warnings) out.warnings = named(name, result.warnings);
    return out;
  };
}

/** Runs `plugin.setup` with a PluginBuild whose onResolve/onLoad callbacks run in slots. */
export async function setupGoverned(plugin: Plugin, build: PluginBuild, pool: SubPool, limiter: Limiter): Promise<void> {
  const name = plugin.name;
  const proxy: PluginBuild = {
    ...build,
    onResolve(options, callback) {
      build.onResolve(options, governed<OnResolveArgs, OnResolveResult>(name, pool, limiter, callback));
    },
    onLoad(options, callback) {
      build.onLoad(options, governed<OnLoadArgs, OnLoadResult>(name, pool, limiter, callback));
    },
    resolve(path, options) {
      // Callbacks this resolve runs may need the slot the caller holds.
      return lendSlotDuring(() => build.resolve(path, { pluginName: name, ...options }));
    },
  };
  await plugin.setup(proxy);
}
