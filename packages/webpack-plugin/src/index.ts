export { JobslotPlugin, type CompilerLike } from './plugin.js';
export type { JobslotPluginOptions, ResolvedOptions } from './options.js';
