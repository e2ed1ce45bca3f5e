// Replaces other plugins' transform/load hooks with ones that run in a slot.
//
// Done in configResolved, on the resolved plugin objects themselves: vite
// copies these objects for each environment it builds afterwards, so every
// environment sees the wrapped hooks. Hook objects keep their `filter` and
// `order` (a filtered hook is still skipped without calling into JS at all).
import type { GovernedHook, ResolvedOptions } from './options.js';

/** The original handler behind a wrapped one; shared by every copy of this package. */
const ORIGINAL = Symbol.for('jobslot.vite.originalHook');

type Handler = ((this: unknown, ...args: unknown[]) => unknown) & { [ORIGINAL]?: Handler };
type HookValue = Handler | { handler: Handler; [key: string]: unknown };

export interface PluginLike {
  name?: string;
  [hook: string]: unknown;
}

/** Calls `original` in a slot. */
export type Runner = (original: Handler, ctx: unknown, args: unknown[]) => Promise<unknown>;

/** Rolldown's native plugins run in Rust; their hooks, if any, are not ours to wrap. */
export function isNative(plugin: PluginLike): boolean {
  return typeof plugin.name === 'string' && plugin.name.startsWith('builtin:');
}

export function isExcluded(name: string, exclude: Array<string | RegExp>): boolean {
  return exclude.some((e) => (typeof e === 'string' ? e === name : e.test(name)));
}

function handlerOf(value: unknown): Handler | undefined {
  if (typeof value === 'function') return value as Handler;
  if (value && typeof value === 'object' && typeof (value as { handler?: unknown }).handler === 'function') {
    return (value as { handler: Handler }).handler;
  }
  return undefined;
}

/**
 * Wraps `hooks` of `plugin` with `run`. A hook wrapped before (the same
 * plugin object in a second config) is rewrapped around its original, never
 * twice. Returns the hooks wrapped.
 */
export function wrapPlugin(plugin: PluginLike, hooks: GovernedHook[], run: Runner): GovernedHook[] {
  const wrapped: GovernedHook[] = [];
  for (const hook of hooks) {
    const value = plugin[hook] as HookValue | undefined;
    const handler = handlerOf(value);
    if (!handler) continue;
    const original = handler[ORIGINAL] ?? handler;
    const governed: Handler = function (this: unknown, ...args: unknown[]) {
      return run(original, this, args);
    };
    Object.defineProperty(governed, ORIGINAL, { value: original });
    Object.defineProperty(governed, 'name', { value: original.name || hook });
    try {
      plugin[hook] = typeof value === 'function' ? governed : { ...value, handler: governed };
      wrapped.push(hook);
    } catch {
      // A frozen plugin object keeps its hook, ungoverned.
    }
  }
  return wrapped;
}

/** Every jobslot plugin object is named so; another copy of it is never governed. */
export const NAME = 'jobslot';

/**
 * Governs one of the other plugins of a build (vite's resolved plugins,
 * rollup's and rolldown's input and output plugins): its `opts.hooks` run
 * through `run`, unless it is jobslot itself, a native plugin, or excluded.
 */
export function governPlugin(p: PluginLike, self: unknown, opts: Pick<ResolvedOptions, 'hooks' | 'exclude'>, run: Runner): void {
  if (p === self || p.name === NAME || isNative(p)) return;
  if (p.name && isExcluded(p.name, opts.exclude)) return;
  wrapPlugin(p, opts.hooks, run);
}
