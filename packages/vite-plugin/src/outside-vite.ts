// The vite plugin put in rollup.config.js or rolldown.config.js by mistake:
// rollup and rolldown never call vite's `configResolved`, where it governs the
// other plugins, so it would do nothing, silently. Its `options` hook (which
// vite, rollup and rolldown all call, vite after configResolved) says so once
// and names the entry point that works there.
import type { Limiter } from '@jobslot/core';

export const OUTSIDE_VITE_WARNING =
  'jobslot: this is the vite plugin, and this build is not vite\'s, so it governs nothing here. ' +
  "In rollup.config.js or rolldown.config.js, import { jobslot } from '@jobslot/vite-plugin/rollup'.";

/** The vite plugin's `options` hook: warns once when vite did not resolve a config first. */
export function outsideViteCheck(inVite: () => boolean, limiter: () => Limiter) {
  let warned = false;
  return function (this: unknown): void {
    if (inVite() || warned || !limiter().limited) return; // without a jobserver it would change nothing anyway
    warned = true;
    const warn = (this as { warn?: unknown } | undefined)?.warn;
    if (typeof warn === 'function') warn.call(this, OUTSIDE_VITE_WARNING);
    else console.warn(OUTSIDE_VITE_WARNING);
  };
}
