// @jobslot/core/server: a jobserver of our own (for tests, benchmarks and the
// demo: what `jobslot -j N` serves), and MAKEFLAGS as make writes it.
export { createJobserver, type Jobserver, type JobserverOptions } from '../posix/server.js';
export { makeflagsFromEnv, parseMakeflags, type JobserverAuth, type Makeflags } from '../makeflags.js';
