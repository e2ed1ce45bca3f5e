export { JobslotPlugin, type CompilerLike } from './plugin.js';
export type { JobslotPluginOptions } from './options.js';
