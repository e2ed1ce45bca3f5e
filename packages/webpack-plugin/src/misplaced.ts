// The webpack/rspack plugin put in another tool's config by mistake. vite
// calls a plugin's `apply` as its own filter, `apply(config, env)`: ours then
// read `compiler.hooks` off vite's config and crashed under make ("reading
// 'beforeRun'"), or did nothing without it. rollup and rolldown read our
// `options` property as their `options` hook and stopped with
// INVALID_PLUGIN_HOOK. Each now gets one line naming what to use there.

const VITE =
  "jobslot: this is the webpack/rspack plugin (JobslotPlugin), and this is not webpack's or rspack's config, so it does nothing here. " +
  "In vite.config or vitest.config, use: import { jobslot } from '@jobslot/vite-plugin'; plugins: [jobslot()].";
const ROLLUP =
  "jobslot: this is the webpack/rspack plugin (JobslotPlugin), and this is not webpack's or rspack's config, so it does nothing here. " +
  "In rollup.config.js or rolldown.config.js, use: import { jobslot } from '@jobslot/vite-plugin/rollup'; plugins: [jobslot()].";

let said = false;
function sayOnce(message: string, warn?: (message: string) => void): void {
  if (said) return;
  said = true;
  if (warn) warn(message);
  else process.stderr.write(`${message}\n`);
}

/** A webpack 5 or rspack Compiler, as opposed to whatever else calls `apply`. */
export function isCompiler(value: unknown): boolean {
  const hooks = (value as { hooks?: { beforeRun?: unknown } } | null | undefined)?.hooks;
  return typeof hooks === 'object' && hooks !== null && typeof hooks.beforeRun === 'object';
}

/** `apply` was called with something other than a compiler (vite's filter call): say so; vite then drops the plugin. */
export function appliedOutsideWebpack(): void {
  sayOnce(VITE);
}

/**
 * Makes the resolved options object safe where rollup or rolldown read it as
 * their `options` hook: a hidden `handler` (not an option, not enumerable)
 * that says what to use instead and changes nothing.
 */
export function guardOptionsProperty<T extends object>(options: T): T {
  Object.defineProperty(options, 'handler', {
    enumerable: false,
    value(this: { warn?: (message: string) => void } | undefined) {
      const warn = typeof this?.warn === 'function' ? this.warn.bind(this) : undefined;
      sayOnce(ROLLUP, warn);
      return null;
    },
  });
  return options;
}
