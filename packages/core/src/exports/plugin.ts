// @jobslot/core/plugin: what a build-tool plugin needs beyond the index (the
// three plugins here use it): per-process records, exit hooks, idempotent
// releases, and a way out of the current hold's async context.
export { outsideHolds } from '../pool/hold.js';
export { onProcessExit } from '../exit.js';
export { oncePerProcess, releaseOnce } from '../once.js';
export { isLimiter } from '../pool/limiter.js';
export { nativeThreadsWarning, type NativeThreadsAdvice } from '../native-threads.js';
export { childProcesses, isChildAlive, startEnvOf } from '../posix/proc.js';
export { processRecord } from '../state.js';
export { withThreadEnv } from '../threads.js';
export { optionCheck, type OptionCheck } from '../option-check.js';
