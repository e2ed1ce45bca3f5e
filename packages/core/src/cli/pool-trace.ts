// What `jobslot run` and `jobslot -j` write to the trace (JOBSLOT_TRACE), so
// the report sees every slot, not only those jobslot clients run:
// - 'hold': the slots `jobslot run` holds for its command (its own and the
//   tokens it took from above), each time that changes;
// - 'pool': tokens handed out beneath a pool of ours (sub-pool or `jobslot -j`),
//   whoever holds them (make, cargo, gcc, ninja, jobslot clients), sampled;
// - from the outermost jobslot process only: 'cpu' (the machine's CPU use and
//   runnable threads, from /proc/stat) and 'proc-start'/'proc-end' for the
//   processes beneath it (make's own jobs among them), sampled at a low rate.
// The command learns whose pool it runs on from JOBSLOT_TRACE_UNDER, and its
// own trace lines say so, so the report counts its slots once.
import { readFileSync } from 'node:fs';
import { argvOf, commOf, statFields } from '../posix/proc.js';
import { trace, TRACE_UNDER_VARIABLE, tracing } from '../trace.js';
import { canListChildren, descendants } from './proc-tree.js';

/** How often the pool is looked at (a FIONREAD ioctl: cheap). */
const POOL_MS = 20;
/** How often the machine and the process tree are sampled. */
const MACHINE_MS = 250;

export interface PoolTrace {
  /** Looks at the pool now (what `driven` callers call on their own clock); a no-op when not tracing. */
  look(): void;
  /** Writes the last samples and stops. */
  stop(): void;
}

/** The command's environment, naming this process as the one whose pool it runs on (when tracing). */
export function traceUnder(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return tracing() ? { ...env, [TRACE_UNDER_VARIABLE]: String(process.pid) } : env;
}

/**
 * Starts writing the pool's tokens out, and `held()` when given (`jobslot
 * run`), while tracing is on; a no-op otherwise. With `driven`, it keeps no
 * timer of its own: the caller calls look() whenever it looks at the pool
 * itself (`jobslot run`'s grower), so tracing adds no wakes of its own.
 */
export function tracePool(pool: { readonly tokens: number; free(): number }, options: { held?: () => number; driven?: boolean } = {}): PoolTrace {
  if (!tracing()) return { look() {}, stop() {} };
  let out = -1;
  let held = -1;
  const look = () => {
    const nowOut = Math.max(0, pool.tokens - pool.free());
    if (nowOut !== out) trace('pool', { out: (out = nowOut) });
    const nowHeld = options.held?.();
    if (nowHeld !== undefined && nowHeld !== held) trace('hold', { held: (held = nowHeld) });
  };
  look();
  const timer = options.driven ? undefined : setInterval(look, POOL_MS);
  timer?.unref();
  // The outermost jobslot process draws the machine: the others' samples would repeat it.
  // (One beneath another has JOBSLOT_TRACE_UNDER, or at least JOBSLOT_POOL where turbo dropped the first.)
  const outermost = !process.env[TRACE_UNDER_VARIABLE] && !process.env.JOBSLOT_POOL;
  const machine = outermost ? sampleMachine(options.driven) : undefined;
  return {
    look() {
      look();
      machine?.look();
    },
    stop() {
      clearInterval(timer);
      look();
      machine?.stop();
    },
  };
}

/** Samples every MACHINE_MS; `driven`: on look() once MACHINE_MS have passed, with no timer of its own. */
function sampleMachine(driven = false): { look(): void; stop(): void } | undefined {
  if (process.platform !== 'linux') return undefined;
  let last = cpuTimes();
  const seen = new Map<number, string>();
  const walk = canListChildren();
  const sample = () => {
    const now = cpuTimes();
    if (last && now && now.total > last.total) {
      trace('cpu', { busy: Number((1 - (now.idle - last.idle) / (now.total - last.total)).toFixed(3)), runnable: now.runnable });
    }
    last = now;
    if (!walk) return;
    const alive = new Set(descendants(process.pid));
    for (const pid of alive) {
      if (seen.has(pid)) continue;
      const label = labelOf(pid);
      seen.set(pid, label);
      trace('proc-start', { child: pid, label, message: cmdline(pid), t: startedAt(pid) });
    }
    for (const [pid, label] of seen) {
      if (alive.has(pid)) continue;
      seen.delete(pid);
      trace('proc-end', { child: pid, label });
    }
  };
  sample();
  let sampledAt = performance.now();
  const timer = driven ? undefined : setInterval(sample, MACHINE_MS);
  timer?.unref();
  return {
    look() {
      // A look a little early by the clock (a 100 ms timer's third) still samples.
      if (performance.now() - sampledAt < MACHINE_MS - 20) return;
      sampledAt = performance.now();
      sample();
    },
    stop() {
      clearInterval(timer);
      for (const [pid, label] of seen) trace('proc-end', { child: pid, label });
    },
  };
}

/** Clock ticks per second of /proc's start times (USER_HZ: 100 on every Linux node runs on). */
const USER_HZ = 100;
const ownStart = Number(statFields(process.pid)?.[19]);

/**
 * When `pid` started, on the trace's clock: from its start time in /proc
 * against ours (10 ms ticks), so a process seen late still starts on time.
 */
function startedAt(pid: number): number | undefined {
  const start = Number(statFields(pid)?.[19]);
  if (!Number.isFinite(start) || !Number.isFinite(ownStart)) return undefined;
  const t = performance.timeOrigin + ((start - ownStart) * 1000) / USER_HZ;
  return Math.min(t, performance.timeOrigin + performance.now());
}

/** /proc/stat's first line (idle includes iowait) and procs_running. */
function cpuTimes(): { idle: number; total: number; runnable: number } | undefined {
  try {
    const text = readFileSync('/proc/stat', 'utf8');
    const fields = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const runnable = Number(/^procs_running (\d+)/m.exec(text)?.[1] ?? 0);
    return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total, runnable };
  } catch {
    return undefined;
  }
}

/**
 * What the report calls a process: its command name, but `node` for node 24
 * and up, which name their main thread (`MainThread`; `node-MainThread` from
 * 26): the process's command name is its main thread's.
 */
function labelOf(pid: number): string {
  const comm = commOf(pid);
  return /^(?:node-)?MainThread$/.test(comm) ? 'node' : comm;
}

function cmdline(pid: number): string {
  return (argvOf(pid) ?? []).join(' ').trim().slice(0, 200);
}
