// What a trace says: peak concurrency against -j, tokens never returned, and
// time that work waited while slots sat free. A leaf over trace.ts.
//
// Every slot counts once. A jobslot client counts the slots it runs; a
// `jobslot run` counts what it holds for its command (its own slot and the
// tokens it took from above); a `jobslot -j` counts the tokens out of its pool
// plus its command's own slot, whoever holds them (make, cargo, gcc). A
// process whose first line says it runs on such a pool (`under`) is counted
// within that process, not again: the total is the sum over the outermost.
import type { TraceEvent } from '../trace.js';

export type ProcessKind = 'client' | 'run' | 'server';

export interface ProcessSummary {
  /** what the process is, from its first event */
  name: string | undefined;
  /** its command line, from its first event (traces before 0.x have none) */
  cmd?: string;
  /** a jobslot client, a `jobslot run`, or a `jobslot -j` */
  kind: ProcessKind;
  /** the `jobslot run` or `jobslot -j` whose pool it runs on, when that process is in the trace */
  under?: number;
  peak: number;
  acquired: number;
  released: number;
  lost: number;
  first: number;
  last: number;
  /** [t, slots] after each change: slots run (client), held (run), in use beneath (server) */
  steps: Array<[number, number]>;
  /** ms during which tasks in this process waited for a slot */
  waitingMs: number;
  /** `jobslot run`: tokens it gave back while its command still ran (each taken and given back) */
  givenBack: number;
}

/** A process beneath a jobslot process that wrote no trace of its own (make's jobs), seen in /proc. */
export interface ChildProcess {
  pid: number;
  /** the jobslot process that saw it */
  parent: number;
  label: string;
  cmd: string;
  start: number;
  end: number;
}

export interface TraceReport {
  /** max over time of the slots in use, each counted once */
  peak: number;
  /** -j of the run: given, or the largest `jobs` any event recorded */
  jobs: number | undefined;
  /** tokens acquired and never released (or lost), over all processes */
  unreturned: number;
  /** ms during which some process had tasks pending while fewer than `jobs` slots were in use */
  idleWaitMs: number;
  /**
   * Whether the trace saw every slot: a `jobslot -j` served the whole run. If
   * not, make's own jobs held slots the trace cannot see, and idleWaitMs may
   * count time when no slot was free.
   */
  complete: boolean;
  /** tokens `jobslot run` took and gave back while its command ran, over all of them */
  churn: number;
  /** seconds of `jobslot run` in the trace (its first event to its last), for churn per second */
  runSeconds: number;
  /** wall time from the first event to the last, ms */
  spanMs: number;
  /** time of the first event, ms since the epoch */
  start: number;
  /** time of the last event, ms since the epoch */
  end: number;
  processes: number;
  warnings: string[];
  perProcess: Map<number, ProcessSummary>;
  /** [t, slots in use, tasks waiting] after each change */
  timeline: Array<[number, number, number]>;
  /** [t, busy share of the CPUs 0..1, runnable threads] from /proc samples */
  cpu: Array<[number, number, number]>;
  /** processes seen in /proc beneath a jobslot process, without a trace of their own */
  children: ChildProcess[];
}

export function analyzeTrace(events: TraceEvent[], jobs?: number): TraceReport {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const perProcess = new Map<number, ProcessSummary>();
  const servers = new Set<number>();
  const holders = new Set<number>();
  const underOf = new Map<number, number>();
  for (const e of sorted) {
    if (e.ev === 'server') servers.add(e.pid);
    if (e.ev === 'hold') holders.add(e.pid);
    if (e.under !== undefined && !underOf.has(e.pid)) underOf.set(e.pid, e.under);
  }
  const kindOf = (pid: number): ProcessKind => (holders.has(pid) ? 'run' : servers.has(pid) ? 'server' : 'client');
  // Counted within another process: it runs on a pool whose holder is in the trace.
  const within = (pid: number): boolean => {
    const under = underOf.get(pid);
    return under !== undefined && under !== pid && (holders.has(under) || servers.has(under));
  };

  const level = new Map<number, number>();
  const pending = new Map<number, number>();
  const waitingSince = new Map<number, number>();
  let total = 0;
  let sumPending = 0;
  let peak = 0;
  let idleWaitMs = 0;
  let lastT = sorted[0]?.t ?? 0;
  let seenJobs = jobs;
  const warnings: string[] = [];
  const timeline: Array<[number, number, number]> = [];
  const cpu: Array<[number, number, number]> = [];
  const children = new Map<number, ChildProcess>();
  const setLevel = (pid: number, value: number, p: ProcessSummary, t: number) => {
    const before = level.get(pid) ?? 0;
    if (value === before && p.steps.length > 0) return;
    if (!within(pid)) total += value - before;
    level.set(pid, value);
    p.peak = Math.max(p.peak, value);
    p.steps.push([t, value]);
    peak = Math.max(peak, total);
  };
  const setPending = (pid: number, value: number, p: ProcessSummary, t: number) => {
    sumPending += value - (pending.get(pid) ?? 0);
    pending.set(pid, value);
    const since = waitingSince.get(pid);
    if (value > 0 && since === undefined) waitingSince.set(pid, t);
    if (value === 0 && since !== undefined) {
      p.waitingMs += t - since;
      waitingSince.delete(pid);
    }
  };

  for (const e of sorted) {
    const limit = seenJobs ?? Infinity;
    if (sumPending > 0 && total < limit) idleWaitMs += e.t - lastT;
    lastT = e.t;
    if (jobs === undefined && e.jobs !== undefined) seenJobs = Math.max(seenJobs ?? 0, e.jobs);
    let p = perProcess.get(e.pid);
    if (!p) {
      p = { name: e.name, cmd: e.cmd, kind: kindOf(e.pid), under: within(e.pid) ? underOf.get(e.pid) : undefined, peak: 0, acquired: 0, released: 0, lost: 0, first: e.t, last: e.t, steps: [], waitingMs: 0, givenBack: 0 };
      perProcess.set(e.pid, p);
    }
    p.last = e.t;
    // The first line names the process; a sample dated earlier (a process's start read from /proc) may sort before it.
    p.name ??= e.name;
    p.cmd ??= e.cmd;
    const before = { total, pending: sumPending };
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
        setLevel(e.pid, 0, p, e.t);
        setPending(e.pid, 0, p, e.t);
        break;
      case 'warn':
        if (e.message) warnings.push(`${e.pid}: ${e.message}`);
        break;
      case 'server':
        setLevel(e.pid, 1, p, e.t);
        break;
      case 'pool':
        // A server's command holds its own slot, and the pool's tokens are out beneath it.
        if (p.kind === 'server' && e.out !== undefined) setLevel(e.pid, 1 + e.out, p, e.t);
        break;
      case 'hold': {
        const held = e.held ?? 0;
        const was = level.get(e.pid) ?? 0;
        // Down but not to the end: tokens went back while the command ran.
        if (held > 0 && held < was) p.givenBack += was - held;
        setLevel(e.pid, held, p, e.t);
        break;
      }
      case 'cpu':
        if (e.busy !== undefined) cpu.push([e.t, e.busy, e.runnable ?? 0]);
        break;
      case 'proc-start':
        if (e.child !== undefined) children.set(e.child, { pid: e.child, parent: e.pid, label: e.label ?? '', cmd: e.message ?? '', start: e.t, end: e.t });
        break;
      case 'proc-end': {
        const c = e.child === undefined ? undefined : children.get(e.child);
        if (c) c.end = e.t;
        break;
      }
      case 'slot-start':
      case 'slot-end':
        if (p.kind === 'client') setLevel(e.pid, e.active ?? 0, p, e.t);
        setPending(e.pid, e.pending ?? 0, p, e.t);
        break;
      default:
        break;
    }
    if (total !== before.total || sumPending !== before.pending) timeline.push([e.t, total, sumPending]);
  }
  const end = sorted.at(-1)?.t ?? 0;
  for (const [pid, since] of waitingSince) perProcess.get(pid)!.waitingMs += end - since;
  let unreturned = 0;
  let churn = 0;
  let runMs = 0;
  // A token that could not be given back shows as 'lost' instead of 'release'.
  for (const p of perProcess.values()) {
    unreturned += Math.max(0, p.acquired - p.released);
    if (p.kind === 'run') {
      churn += p.givenBack;
      runMs += p.last - p.first;
    }
  }
  // Processes that wrote their own trace have their own lane already.
  const untraced = [...children.values()].filter((c) => !perProcess.has(c.pid));
  const start = sorted[0]?.t ?? 0;
  return {
    peak,
    jobs: seenJobs,
    unreturned,
    idleWaitMs,
    complete: [...servers].some((pid) => !within(pid)),
    churn,
    runSeconds: runMs / 1000,
    spanMs: end - start,
    start,
    end,
    processes: perProcess.size,
    warnings,
    perProcess,
    timeline,
    cpu,
    children: untraced,
  };
}
