// A `plugins` option as rollup, rolldown and vite read it: plugin objects,
// nested arrays, promises of either, and false/null/undefined for a plugin
// turned off (`output.plugins: [isProd && terser()]`).
import type { PluginLike } from './wrap.js';

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';

/**
 * Calls `visit` on each plugin object in a `plugins` option as rollup and
 * rolldown read it (nested arrays flattened, false and null dropped): at once
 * for the objects, and for those behind a promise when it settles. The result
 * settles when every one has been visited.
 */
export function eachPlugin(option: unknown, visit: (p: PluginLike) => void): Promise<unknown> | undefined {
  // The tool awaits these promises itself after the hook; a callback added now runs before its own.
  if (isThenable(option)) return Promise.resolve(option).then((value) => eachPlugin(value, visit));
  if (Array.isArray(option)) {
    const pending = option.map((o) => eachPlugin(o, visit)).filter((p) => p !== undefined);
    return pending.length > 0 ? Promise.all(pending) : undefined;
  }
  if (option && typeof option === 'object') visit(option as PluginLike);
  return undefined;
}
