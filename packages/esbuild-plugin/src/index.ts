export { jobslot, type JobslotPlugin } from './plugin.js';
export type { JobslotEsbuildOptions } from './options.js';
export { serviceState, type ServiceState, type EsbuildModule } from './service.js';
