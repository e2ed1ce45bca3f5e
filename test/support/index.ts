export * from './make.js';
export * from './procstat.mjs';
export * from './jobserver.js';
export * from './cores.js';
export * from './files.js';
export * from './runners.js';
export * from './vitest-suite.js';
export * from './packages.js';
