// Sets up other plugins with a PluginBuild whose onResolve/onLoad callbacks
// run in slots (see gate.ts).
import type { Limiter } from '@jobslot/core';
import type { OnLoadArgs, OnLoadResult, OnResolveArgs, OnResolveResult, Plugin, PluginBuild } from 'esbuild';
import { inSlot, resolveGivingBack, type Lane } from './gate.js';

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
function governed<A, R extends Reported>(name: string, lane: Lane, limiter: Limiter, callback: Callback<A, R>): Callback<A, R> {
  return async (args: A) => {
    let result: R | null | undefined;
    try {
      result = await inSlot(lane, limiter, () => callback(args));
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
export async function setupGoverned(plugin: Plugin, build: PluginBuild, lane: Lane, limiter: Limiter): Promise<void> {
  const name = plugin.name;
  const proxy: PluginBuild = {
    ...build,
    onResolve(options, callback) {
      build.onResolve(options, governed<OnResolveArgs, OnResolveResult>(name, lane, limiter, callback));
    },
    onLoad(options, callback) {
      build.onLoad(options, governed<OnLoadArgs, OnLoadResult>(name, lane, limiter, callback));
    },
    resolve(path, options) {
      // Callbacks this resolve runs may need the slot the caller holds.
      return resolveGivingBack(() => build.resolve(path, { pluginName: name, ...options }));
    },
  };
  await plugin.setup(proxy);
}
