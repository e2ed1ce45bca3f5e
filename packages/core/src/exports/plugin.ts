// @jobslot/core/plugin: what a build-tool plugin needs beyond the index (the
// three plugins here use it): per-process records, exit hooks, idempotent
// releases, and a way out of the current hold's async context.
export { outsideHolds } from '../pool/hold.js';
export { onProcessExit } from '../exit.js';
export { releaseOnce } from '../once.js';
export { processRecord } from '../state.js';
export { optionCheck, type OptionCheck } from '../option-check.js';
