// @jobslot/jest: jest's test workers follow GNU make's job tokens.
export { withJobslot, type JestConfigLike, type JobslotJestOptions } from './config.js';
