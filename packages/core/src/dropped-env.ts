// A jobserver a task runner dropped on the way: turbo 2's strict env mode
// (its default) gives each task only the variables turbo.json lists, so
// MAKEFLAGS and JOBSLOT_POOL vanish unless `globalPassThroughEnv` names them,
// and turbo closes inherited descriptors too. A jobslot client in such a task
// would run with no jobserver and the whole machine to itself.
//
// turbo's own process still has them: the environment it was started with
// is /proc/PID/environ (readable for the user's own processes). Beneath a
// `jobslot run` or `jobslot -j`, JOBSLOT_POOL there names the pool, and is
// used only as any JOBSLOT_POOL is (pool.ts: a private fifo of ours, served by
// an ancestor that holds it open): the pass-through is then unnecessary for
// jobslot clients. Beneath make alone (a pipe jobserver, whose descriptors
// turbo closed) nothing can be recovered: one line says how to fix it.
//
// Only when the task says it is turbo's (TURBO_HASH, set by turbo for every
// task) and names no jobserver at all: a user who set MAKEFLAGS gets what
// they set.
import { fs } from './builtins.js';
import { parseMakeflags } from './makeflags.js';
import { checkPoolHint, parsePoolHint, POOL_VARIABLE, type PoolHint } from './posix/pool-hint.js';
import { parentOf } from './posix/proc.js';

const { readFileSync } = fs;

export type Dropped =
  /** The pool of a `jobslot run` above turbo, and the -j it was served with. */
  | { kind: 'pool'; hint: PoolHint; jobs: number | undefined; runner: string }
  /** A jobserver above that cannot be reached from here: the one line that says the fix. */
  | { kind: 'lost'; message: string };

/** The variables of process `pid`'s environment that name a jobserver; undefined if unreadable. */
function jobserverVariables(pid: number): { makeflags?: string; pool?: string } | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
  const found: { makeflags?: string; pool?: string } = {};
  for (const entry of raw.split('\0')) {
    if (entry.startsWith('MAKEFLAGS=')) found.makeflags = entry.slice('MAKEFLAGS='.length);
    else if (entry.startsWith(`${POOL_VARIABLE}=`)) found.pool = entry.slice(POOL_VARIABLE.length + 1);
  }
  return found;
}

const LOST =
  "turbo's strict env mode dropped the jobserver above (MAKEFLAGS) from this task: run turbo under `jobslot run` (in make, a recipe `+jobslot run -- turbo run ...`), or list MAKEFLAGS and JOBSLOT_POOL in turbo.json's globalPassThroughEnv with a fifo-style jobserver (make 4.4's default)";

/** Beneath a task runner that dropped the jobserver's variables: where the jobserver is, or why it is out of reach. */
export function droppedJobserver(env: Record<string, string | undefined>): Dropped | undefined {
  if (process.platform !== 'linux' || env.TURBO_HASH === undefined) return undefined;
  if (env.MAKEFLAGS !== undefined || env.MFLAGS !== undefined || env.CARGO_MAKEFLAGS !== undefined || env[POOL_VARIABLE] !== undefined) return undefined;
  // The nearest ancestor whose environment names a jobserver: turbo's (or what started it).
  let pid = process.ppid;
  for (let depth = 0; depth < 32 && pid > 1; depth++) {
    const vars = jobserverVariables(pid);
    const hint = parsePoolHint(vars?.pool);
    if (hint && checkPoolHint(hint) === undefined) {
      return { kind: 'pool', hint, jobs: vars?.makeflags ? parseMakeflags(vars.makeflags).jobs : undefined, runner: 'turbo' };
    }
    if (vars?.pool !== undefined || (vars?.makeflags !== undefined && parseMakeflags(vars.makeflags).rawAuth !== undefined)) {
      return { kind: 'lost', message: LOST };
    }
    const parent = parentOf(pid);
    if (parent === undefined) break;
    pid = parent;
  }
  return undefined;
}
