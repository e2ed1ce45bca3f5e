// @jobslot/core: the runtime API. Its types are declared in one place,
// types.ts; tooling lives in subpath exports:
//   @jobslot/core/server  a jobserver to serve (tests, the demo), MAKEFLAGS parsing
//   @jobslot/core/trace   JOBSLOT_TRACE: write, read and analyse traces
//   @jobslot/core/plugin  building blocks for build-tool plugins
//
// Layering, top-down: this index -> limiter and CLI -> client -> one backend
// per platform (posix.ts, windows.ts) -> FFI bindings (ffi/). MAKEFLAGS
// parsing, the server and the trace are leaves anyone may use.

export type * from './types.js';
export { JobClient } from './client.js';
export { JobserverError } from './errors.js';
export { createLimiter } from './limiter.js';
export { currentHold, lendSlotDuring } from './hold.js';
export { reserveForRun } from './run-reservation.js';
export { sharedClient, sharedLimiter } from './shared.js';
export { resetProcessState } from './state.js';
export { threadEnv, THREAD_VARIABLES } from './threads.js';
