// @jobslot/core: the runtime API. Its types are declared in one place,
// types.ts; tooling lives in subpath exports:
//   @jobslot/core/server  a jobserver to serve (tests, the demo), MAKEFLAGS parsing
//   @jobslot/core/trace   JOBSLOT_TRACE: write, read and analyse traces
//   @jobslot/core/plugin  building blocks for build-tool plugins
//   @jobslot/core/testing what tests need: resetProcessState()
//
// Layering, top-down, type imports included (scripts/import-graph.mjs checks
// there is no circle): plugins -> the pools (pool/: one recursive Pool, the
// limiter its root) -> the client (client/) -> one folder per platform
// (posix/, windows/; client/platform.ts loads only this platform's) -> FFI
// (ffi/). MAKEFLAGS parsing, the registry (state.ts), the trace writer and
// the API's declarations (types.ts) are leaves; the command-line tool (cli/,
// report/) stands apart from what plugins load.

export type * from './types.js';
export { JobClient } from './client/client.js';
export { JobserverError } from './errors.js';
export { createLimiter } from './pool/limiter.js';
export { currentHold, lendSlotDuring } from './pool/hold.js';
export { reserveForRun } from './pool/run-reservation.js';
export { sharedClient, sharedLimiter } from './pool/shared.js';
export { threadEnv, THREAD_VARIABLES } from './threads.js';
