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
  | 'exit';

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
}

let fd: number | undefined;
let named = false;
/** JOBSLOT_TRACE as read on first use (undefined: not read yet; '' : off). */
let file: string | undefined;

/**
 * Appends an event when JOBSLOT_TRACE names a file. JOBSLOT_TRACE is read once,
 * on first use: process.env is slow enough to matter on the token hot path.
 */
export function trace(ev: TraceEventName, fields: Partial<TraceEvent> = {}): void {
  if (file === undefined) {
    file = process.env.JOBSLOT_TRACE ?? '';
    // A relative name is resolved once, here, and handed down resolved: a child
    // started in another directory writes to the same file, not one of its own.
    if (file && !path.isAbsolute(file)) process.env.JOBSLOT_TRACE = file = path.resolve(file);
  }
  if (!file) return;
  if (fd === undefined) {
    try {
      // O_APPEND: lines from many processes interleave whole (each is one write).
      fd = openSync(file, 'a');
    } catch (error) {
      // Tracing must never break a build: say so once and trace nothing.
      process.stderr.write(`jobslot: cannot write the trace JOBSLOT_TRACE=${file} (${(error as Error).message}); tracing is off: create its directory, or unset JOBSLOT_TRACE\n`);
      file = '';
      return;
    }
  }
  const event: TraceEvent = { pid: process.pid, ppid: process.ppid, t: performance.timeOrigin + performance.now(), ev, ...fields };
  if (!named) {
    named = true;
    event.name = processName();
  }
  try {
    writeSync(fd!, JSON.stringify(event) + '\n');
  } catch {
    // tracing must never break a build
  }
}

function processName(): string {
  const script = process.argv[1];
  if (process.title && process.title !== 'node' && !process.title.includes('/')) return process.title;
  return script ? basename(script) : process.title;
}
