// `jobslot report --chrome-trace FILE`: the trace in Chrome's Trace Event
// Format (the JSON object form), which Perfetto and chrome://tracing open, as
// ninjatracing and turbo --profile write it. A leaf over report.ts.
//
// - one process per traced process (its real pid), named by an `M` event;
// - in it, one track (tid) per slot: slot k is busy while the process holds
//   more than k slots, so the `X` events on one track never overlap;
// - processes seen beneath a jobslot process without a trace of their own
//   (make's jobs: compilers, cargo, shell recipes) each get a track of their
//   own in the process that saw them;
// - `C` counters in a process of their own (pid 0): slots in use against -j,
//   tasks waiting for a slot, and the machine's CPU use.
import type { TraceReport } from './analyze.js';

/** One event of the Trace Event Format (the fields we write). */
export interface ChromeTraceEvent {
  name: string;
  ph: 'X' | 'C' | 'M';
  /** microseconds */
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  /** categories, comma-separated: the format lists it for every event (Chrome writes '__metadata' on M) */
  cat: string;
  args?: Record<string, string | number>;
}

/** Lanes of slot tracks start here; processes beneath use their own pid as their track. */
const COUNTERS_PID = 0;

export function renderChromeTrace(report: TraceReport): { traceEvents: ChromeTraceEvent[]; displayTimeUnit: 'ms' } {
  const t0 = report.start;
  const us = (t: number) => Math.round((t - t0) * 1000);
  const events: ChromeTraceEvent[] = [];
  const meta = (name: string, pid: number, tid: number, value: string | number) =>
    events.push({ name, cat: '__metadata', ph: 'M', ts: 0, pid, tid, args: name.endsWith('sort_index') ? { sort_index: value } : { name: value } });

  meta('process_name', COUNTERS_PID, 0, `all slots${report.jobs ? ` (-j${report.jobs})` : ''}`);
  meta('process_sort_index', COUNTERS_PID, 0, -1);
  for (const [t, slots, waiting] of report.timeline) {
    events.push({ name: 'slots in use', cat: 'jobslot', ph: 'C', ts: us(t), pid: COUNTERS_PID, tid: 0, args: { slots, ...(report.jobs ? { free: Math.max(0, report.jobs - slots) } : {}) } });
    events.push({ name: 'tasks waiting for a slot', cat: 'jobslot', ph: 'C', ts: us(t), pid: COUNTERS_PID, tid: 0, args: { waiting } });
  }
  for (const [t, busy, runnable] of report.cpu) {
    events.push({ name: 'CPU busy %', cat: 'jobslot', ph: 'C', ts: us(t), pid: COUNTERS_PID, tid: 0, args: { busy: Math.round(busy * 100) } });
    events.push({ name: 'runnable threads', cat: 'jobslot', ph: 'C', ts: us(t), pid: COUNTERS_PID, tid: 0, args: { runnable } });
  }

  let order = 0;
  const processes = [...report.perProcess.entries()].sort((a, b) => a[1].first - b[1].first);
  for (const [pid, p] of processes) {
    const what = p.kind === 'run' ? 'jobslot run' : p.kind === 'server' ? 'jobslot -j' : (p.name ?? 'process');
    meta('process_name', pid, 0, `${what}${p.cmd ? `: ${p.cmd}` : ''}`.slice(0, 160));
    meta('process_sort_index', pid, 0, order++);
    // Open slot k at the moment the process's level rises above k; close it when it falls to k.
    const open: number[] = [];
    const close = (t: number) => {
      const k = open.length - 1;
      events.push({ name: p.kind === 'client' ? 'slot' : 'token', cat: p.kind, ph: 'X', ts: us(open[k]!), dur: Math.max(0, us(t) - us(open[k]!)), pid, tid: k + 1 });
      open.pop();
    };
    for (const [t, level] of p.steps) {
      while (open.length > level) close(t);
      while (open.length < level) open.push(t);
    }
    while (open.length > 0) close(p.last);
    for (let k = 1; k <= p.peak; k++) meta('thread_name', pid, k, `slot ${k}`);
    if (p.waitingMs > 0) events.push({ name: 'waited for a slot (ms)', cat: 'jobslot', ph: 'C', ts: us(p.last), pid, tid: 0, args: { ms: Math.round(p.waitingMs) } });
  }
  for (const c of report.children) {
    const owner = report.perProcess.has(c.parent) ? c.parent : COUNTERS_PID;
    meta('thread_name', owner, c.pid, `${c.label} ${c.pid}`);
    events.push({ name: c.label || String(c.pid), cat: 'process', ph: 'X', ts: us(c.start), dur: Math.max(0, us(c.end) - us(c.start)), pid: owner, tid: c.pid, args: { cmd: c.cmd } });
  }
  return { traceEvents: events, displayTimeUnit: 'ms' };
}
