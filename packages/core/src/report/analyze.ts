// What a trace says: peak concurrency against -j, tokens never returned, and
// time that work waited while slots sat free. A leaf over trace.ts.
import type { TraceEvent } from '../trace.js';

export interface ProcessSummary {
  /** what the process is, from its first event */
  name: string | undefined;
  peak: number;
  acquired: number;
  released: number;
  lost: number;
  first: number;
  last: number;
  /** [t, active] after each slot event */
  steps: Array<[number, number]>;
}

export interface TraceReport {
  /** max over time of the sum of active slots across all processes */
  peak: number;
  /** -j of the run: given, or the largest `jobs` any event recorded */
  jobs: number | undefined;
  /** tokens acquired and never released (or lost), over all processes */
  unreturned: number;
  /** ms during which some process had tasks pending while fewer than `jobs` slots ran */
  idleWaitMs: number;
  /** wall time from the first event to the last, ms */
  spanMs: number;
  processes: number;
  warnings: string[];
  perProcess: Map<number, ProcessSummary>;
}

export function analyzeTrace(events: TraceEvent[], jobs?: number): TraceReport {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const perProcess = new Map<number, ProcessSummary>();
  const active = new Map<number, number>();
  const pending = new Map<number, number>();
  let sumActive = 0;
  let sumPending = 0;
  let peak = 0;
  let idleWaitMs = 0;
  let lastT = sorted[0]?.t ?? 0;
  let seenJobs = jobs;
  const warnings: string[] = [];

  for (const e of sorted) {
    const limit = seenJobs ?? Infinity;
    if (sumPending > 0 && sumActive < limit) idleWaitMs += e.t - lastT;
    lastT = e.t;
    if (jobs === undefined && e.jobs !== undefined) seenJobs = Math.max(seenJobs ?? 0, e.jobs);
    let p = perProcess.get(e.pid);
    if (!p) {
      p = { name: e.name, peak: 0, acquired: 0, released: 0, lost: 0, first: e.t, last: e.t, steps: [] };
      perProcess.set(e.pid, p);
    }
    p.last = e.t;
    switch (e.ev) {
      case 'acquire':
        p.acquired++;
        break;
      case 'release':
        p.released++;
        break;
      case 'lost':
        p.lost++;
        break;
      case 'exit':
        sumActive -= active.get(e.pid) ?? 0;
        active.set(e.pid, 0);
        sumPending -= pending.get(e.pid) ?? 0;
        pending.set(e.pid, 0);
        break;
      case 'warn':
        if (e.message) warnings.push(`${e.pid}: ${e.message}`);
        break;
      case 'slot-start':
      case 'slot-end': {
        const a = e.active ?? 0;
        sumActive += a - (active.get(e.pid) ?? 0);
        active.set(e.pid, a);
        const q = e.pending ?? 0;
        sumPending += q - (pending.get(e.pid) ?? 0);
        pending.set(e.pid, q);
        p.peak = Math.max(p.peak, a);
        p.steps.push([e.t, a]);
        peak = Math.max(peak, sumActive);
        break;
      }
      default:
        break;
    }
  }
  let unreturned = 0;
  // A token that could not be given back shows as 'lost' instead of 'release'.
  for (const p of perProcess.values()) unreturned += Math.max(0, p.acquired - p.released);
  return {
    peak,
    jobs: seenJobs,
    unreturned,
    idleWaitMs,
    spanMs: sorted.length ? sorted.at(-1)!.t - sorted[0]!.t : 0,
    processes: perProcess.size,
    warnings,
    perProcess,
  };
}
