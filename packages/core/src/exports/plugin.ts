// @jobslot/core/plugin: what a build-tool plugin needs beyond the index (the
// four plugins here use it): child pools with a base and a floor, the one
// limiter check, the one native-threads warning, per-process records and
// once-per-process advice, exit hooks, idempotent releases, /proc about the
// tool's own processes, the env window that sizes a native pool, node's
// --v8-pool-size as node reads it, option checks, a way out of the current
// hold's async context, and the answers of the `jobslot run` above that it
// has no token to give now (posix/refusals.ts).
export type { Limiter, JobserverClient, Reservation, Slot, SlotPool, SubPool, SubPoolOptions, Hold, HoldOptions, Token, AcquireOptions } from '../types.js';
export type { Releaser } from '../exit.js';
export type { JobserverError, JobserverErrorKind } from '../errors.js';
export type { RecordOptions } from '../state.js';
export { outsideHolds } from '../pool/hold.js';
export { onProcessExit } from '../exit.js';
export { oncePerProcess, releaseOnce } from '../once.js';
export { isLimiter } from '../pool/limiter.js';
export { childPool, type ChildPool } from '../pool/child.js';
export { nativeThreadsWarning, type NativeThreadsAdvice } from '../native-threads.js';
export { childProcesses, isChildAlive, startEnvOf } from '../posix/children.js';
export { processRecord } from '../state.js';
export { withThreadEnv } from '../threads.js';
export { v8HelperThreads, v8PoolSizeOption } from '../v8-pool-size.js';
export { optionCheck, type OptionCheck } from '../option-check.js';
export { poolRefusals } from '../posix/refusals.js';
