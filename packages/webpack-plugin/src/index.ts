export { JobslotPlugin } from './plugin.js';
export type { JobslotPluginOptions } from './options.js';
