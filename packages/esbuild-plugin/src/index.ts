// @jobslot/esbuild-plugin: esbuild builds share GNU make's job tokens.
export { jobslot, type JobslotPlugin } from './plugin.js';
export { build, context, type SameShape } from './dropin.js';
export type { JobslotEsbuildOptions } from './options.js';
