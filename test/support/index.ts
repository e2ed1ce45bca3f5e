export * from './make.js';
export * from './procstat.js';
