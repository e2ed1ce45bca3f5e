// @jobslot/core: the whole public API in one place.
//
// Layering, top-down: this index -> limiter and CLI -> client -> one backend
// per platform (posix.ts, windows.ts) -> FFI bindings (ffi/). MAKEFLAGS
// parsing, the server and the trace are leaves anyone may use.

export { JobClient, type AcquireOptions, type FromEnvOptions, type Token } from './client.js';
export { JobserverError, type JobserverErrorKind } from './errors.js';
export { parseMakeflags, makeflagsFromEnv, type JobserverAuth, type Makeflags } from './makeflags.js';
export { createLimiter, type Limiter, type LimiterOptions, type Reservation, type Slot } from './limiter.js';
export { type Hold, type HoldOptions } from './hold.js';
export { sharedClient, sharedLimiter } from './shared.js';
export { threadEnv, THREAD_VARIABLES } from './threads.js';
export { onProcessExit } from './exit.js';
export { readTrace, trace, type TraceEvent, type TraceEventName } from './trace.js';
export { analyzeTrace, type ProcessSummary, type TraceReport } from './report.js';
export { createJobserver, type Jobserver, type JobserverOptions } from './server.js';
