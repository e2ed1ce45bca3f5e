// @jobslot/vite-plugin: vite builds follow GNU make's job tokens.
export { jobslot } from './plugin.js';
export type { GovernedHook, JobslotViteOptions } from './options.js';
export { jobslot as default } from './plugin.js';
