// @jobslot/core/trace: the JOBSLOT_TRACE file, written by every jobslot
// process, read back and summed up (`jobslot report`, the tests, the benchmarks).
export { trace, type TraceEvent, type TraceEventName } from '../trace.js';
export { readTrace } from '../report/read.js';
export { analyzeTrace, type ChildProcess, type ProcessKind, type ProcessSummary, type TraceReport } from '../report/analyze.js';
