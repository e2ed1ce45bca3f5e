// The vite plugin, or its /rollup entry, put in the wrong tool's config.
// Both plugin objects carry an `apply` function, which vite calls as its
// filter (`apply(config, env)`) and webpack and rspack require of every plugin
// (`apply(compiler)`; without one they stop with a schema error). Called by a
// compiler, it says what to use there and does nothing. The /rollup entry
// called by vite (a vite or vitest config) says to use the main entry, and
// takes itself out: vite's own hooks govern the build there, not rollup's.

const WEBPACK =
  "In webpack.config.js or rspack.config.js, use: const { JobslotPlugin } = require('@jobslot/webpack-plugin'); plugins: [new JobslotPlugin()].";
const FOR_VITE = "In vite.config or vitest.config, use: import { jobslot } from '@jobslot/vite-plugin'; plugins: [jobslot()].";

const said = new Set<string>();
function sayOnce(message: string): void {
  if (said.has(message)) return;
  said.add(message);
  process.stderr.write(`${message}\n`);
}

/** A webpack 5 or rspack Compiler (what webpack passes to `apply`). */
function isCompiler(value: unknown): boolean {
  const hooks = (value as { hooks?: { beforeRun?: unknown } } | null | undefined)?.hooks;
  return typeof hooks === 'object' && hooks !== null && typeof hooks.beforeRun === 'object';
}

/** The vite plugin's `apply`: true in vite; under webpack or rspack, says what to use instead. */
export function viteApply(first: unknown): boolean {
  if (!isCompiler(first)) return true;
  sayOnce(`jobslot: this is the vite plugin, and this is webpack's or rspack's config, so it does nothing here. ${WEBPACK}`);
  return false;
}

/** The /rollup entry's `apply`: false in vite (use the main entry there); under webpack or rspack, says what to use. */
export function rollupEntryApply(first: unknown): boolean {
  if (isCompiler(first)) {
    sayOnce(`jobslot: this is the rollup/rolldown plugin (@jobslot/vite-plugin/rollup), and this is webpack's or rspack's config, so it does nothing here. ${WEBPACK}`);
  } else {
    sayOnce(`jobslot: this is the rollup/rolldown plugin (@jobslot/vite-plugin/rollup), and this is a vite config, so it does nothing here. ${FOR_VITE}`);
  }
  return false;
}
