// @jobslot/core/testing: what tests need and users should not: start the
// process's jobslot state afresh (the shared client and limiter closed, the
// implicit slot and the plugins' records forgotten).
export { resetProcessState } from '../state.js';
