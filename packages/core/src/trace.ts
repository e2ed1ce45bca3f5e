// JOBSLOT_TRACE=FILE: every client appends one JSON line per event. A leaf:
// the client and the pools write; `jobslot report` and the tests read it
// back with report/read.ts (the tool's side, not loaded by a plugin).
import { fs, path } from './builtins.js';

const { openSync, writeSync } = fs;
const { basename } = path;

export type TraceEventName =
  | 'acquire'
  | 'release'
  | 'slot-start'
  | 'slot-end'
  /** a token that could not be given back */
  | 'lost'
  | 'warn'
  | 'connect'
  /** this process does not own the implicit slot of the `jobslot run` pool it shares with siblings */
  | 'sibling'
  /** a `jobslot -j N` server started */
  | 'server'
  /** the process is exiting: whatever slots it ran have ended */
  | 'exit'
  /** `jobslot run`: the slots it holds for its command (its own and the tokens it took from above) */
  | 'hold'
  /** a jobserver of ours (`jobslot -j`, `jobslot run`'s sub-pool): tokens handed out beneath it */
  | 'pool'
  /** the machine's CPU use, sampled by the outermost `jobslot` process while tracing */
  | 'cpu'
  /** a process beneath a `jobslot` process started (`child`, `label`) or ended, seen in /proc */
  | 'proc-start'
  | 'proc-end';

export interface TraceEvent {
  pid: number;
  ppid: number;
  /** milliseconds since the epoch, sub-millisecond precision */
  t: number;
  ev: TraceEventName;
  /** slots running in this process after the event (slot events) */
  active?: number;
  /** tasks waiting for a slot in this process after the event (slot events) */
  pending?: number;
  /** tokens held after the event (acquire/release) */
  held?: number;
  byte?: number;
  jobs?: number;
  label?: string;
  message?: string;
  /** on a process's first event: what it is (process title, or its script's name) */
  name?: string;
  /** on a process's first event: its command line, shortened */
  cmd?: string;
  /**
   * on a process's first event: the pid of the `jobslot run` or `jobslot -j`
   * whose pool it runs on (JOBSLOT_TRACE_UNDER), so the report counts its slots
   * within that process's and not twice
   */
  under?: number;
  /** tokens handed out beneath a pool of ours (pool) */
  out?: number;
  /** the share of the machine's CPU time that was busy since the last sample, 0 to 1 (cpu) */
  busy?: number;
  /** threads runnable now, from /proc/stat's procs_running (cpu) */
  runnable?: number;
  /** the process a proc-start or proc-end is about */
  child?: number;
}

/** Set by `jobslot run` and `jobslot -j` for their command: the pid whose pool it runs on. */
export const TRACE_UNDER_VARIABLE = 'JOBSLOT_TRACE_UNDER';

let fd: number | undefined;
let named = false;
/** JOBSLOT_TRACE as read on first use (undefined: not read yet; '' : off). */
let file: string | undefined;

/**
 * Appends an event when JOBSLOT_TRACE names a file. JOBSLOT_TRACE is read once,
 * on first use: process.env is slow enough to matter on the token hot path.
 */
export function trace(ev: TraceEventName, fields: Partial<TraceEvent> = {}): void {
  if (!tracing()) return;
  if (fd === undefined) {
    try {
      // O_APPEND: lines from many processes interleave whole (each is one write).
      fd = openSync(file!, 'a');
    } catch (error) {
      // Tracing must never break a build: say so once and trace nothing.
      process.stderr.write(`jobslot: cannot write the trace JOBSLOT_TRACE=${file} (${(error as Error).message}); tracing is off: create its directory, or unset JOBSLOT_TRACE\n`);
      file = '';
      return;
    }
  }
  const event: TraceEvent = { pid: process.pid, ppid: process.ppid, t: 0, ev, ...fields };
  // A sample may say when it happened (a process's start, read late from /proc).
  if (!fields.t) event.t = performance.timeOrigin + performance.now();
  if (!named) {
    named = true;
    event.name = processName();
    event.cmd = process.argv.slice(1).join(' ').slice(0, 300);
    // Whose pool this process runs on: JOBSLOT_TRACE_UNDER, else the pid in
    // JOBSLOT_POOL ("PID:FIFO", pool.ts), which runners in strict env mode
    // (turbo) are told to pass through where they may drop the other.
    const pool = /^([1-9]\d{0,9}):\//.exec(process.env.JOBSLOT_POOL ?? '')?.[1];
    const under = Number(process.env[TRACE_UNDER_VARIABLE] ?? pool);
    if (Number.isInteger(under) && under > 0 && under !== process.pid) event.under = under;
  }
  try {
    writeSync(fd!, JSON.stringify(event) + '\n');
  } catch {
    // tracing must never break a build
  }
}

/** Whether JOBSLOT_TRACE names a file (read once; a relative name is resolved then). */
export function tracing(): boolean {
  if (file === undefined) {
    file = process.env.JOBSLOT_TRACE ?? '';
    // A relative name is resolved once, here, and handed down resolved: a child
    // started in another directory writes to the same file, not one of its own.
    if (file && !path.isAbsolute(file)) process.env.JOBSLOT_TRACE = file = path.resolve(file);
  }
  return file !== '';
}

function processName(): string {
  const script = process.argv[1];
  if (process.title && process.title !== 'node' && !process.title.includes('/')) return process.title;
  return script ? basename(script) : process.title;
}
