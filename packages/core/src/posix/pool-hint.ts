// JOBSLOT_POOL: how a jobslot client finds the pool a `jobslot run` (or
// `jobslot -j`) serves, when the standard way does not reach it, and how
// jobslot clients beneath one `jobslot run` share the one implicit slot.
//
//   JOBSLOT_POOL=<pid of the server>:<path of the pool's fifo>
//
// MAKEFLAGS names the pool by inherited descriptors (`--jobserver-auth=R,W`),
// which every make, gcc and cargo read. node marks inherited descriptors
// close-on-exec, so under `jobslot run -- npm run build` they are gone by the
// time the build's node process looks; the path lets it open the same fifo.
//
// Nothing here trusts the environment: the path is used only if it is a fifo
// of ours, in a private `jobslot-*` directory of ours, and the pid is an
// ancestor of ours that holds that fifo open (the server does, for as long as
// it serves). Anything else is ignored, and the client says why it found no
// jobserver as it would have.
//
// The implicit slot. make counts one job for the command it started; make's
// own children each get a slot of their own because make takes a token for
// each. A runner that is not a jobserver client (turbo, a shell's `&`) starts
// several jobs on that one slot. So jobslot clients with no jobserver-aware
// runner (make, cargo, ninja) between them and the server hold an flock on
// the fifo to own the implicit slot: one wins, the others run every job on a
// token. The kernel lets go of the lock when its owner ends, however it ends,
// and a sibling that needs a slot takes it over.
import type { PoolHint } from '../backend.js';
import { fs, path as nodePath } from '../builtins.js';
import { loadLibc } from '../ffi/libc.js';
import { accessMode, commOf, fdsOnInode, parentOf } from './proc.js';

const { constants: fsc, fstatSync, lstatSync, openSync, statSync } = fs;

export { POOL_VARIABLE } from '../backend.js';

export type { PoolHint } from '../backend.js';

export function formatPoolHint(pid: number, fifo: string): string {
  return `${pid}:${fifo}`;
}

/** Parses JOBSLOT_POOL; undefined if absent or not of the expected shape. */
export function parsePoolHint(value: string | undefined): PoolHint | undefined {
  if (!value) return undefined;
  const match = /^([1-9]\d{0,9}):(\/[^\0-\x1f\x7f]*)$/.exec(value);
  if (!match) return undefined;
  return { pid: Number(match[1]), path: match[2]! };
}

/** Runners that take a token for every job they start after the first: their jobs each have a slot. */
const JOBSERVER_RUNNERS = /^(?:g?make|cargo|ninja|samu)$/;

/** Why a hint cannot be used, or undefined if it names a live pool served above us. */
export function checkPoolHint(hint: PoolHint): string | undefined {
  if (process.platform !== 'linux') return 'only Linux can prove which process serves it';
  const uid = process.getuid?.();
  let fifo;
  let dir;
  try {
    fifo = lstatSync(hint.path);
    dir = lstatSync(nodePath.dirname(hint.path));
  } catch {
    return `${hint.path} does not exist`;
  }
  if (!fifo.isFIFO()) return `${hint.path} is not a fifo`;
  if (!dir.isDirectory() || !nodePath.basename(nodePath.dirname(hint.path)).startsWith('jobslot-')) return `${hint.path} is not in a jobslot directory`;
  if (fifo.uid !== uid || dir.uid !== uid || (dir.mode & 0o077) !== 0) return `${hint.path} is not private to this user`;
  // The command runs in the serving process itself (`jobslot run`'s in-process.ts):
  // this process must hold the fifo open for reading and writing, as its server
  // does (clients open it for one or the other). Asked of /proc, not of a record
  // in memory: a client in a worker thread has memory of its own.
  if (hint.pid === process.pid) return servesFifo(process.pid, fifo.dev, fifo.ino) ? undefined : `this process does not serve ${hint.path}`;
  const path = ancestorsUpTo(hint.pid);
  if (!path) return `process ${hint.pid} that serves ${hint.path} is not above this one`;
  if (!holdsInode(hint.pid, fifo.dev, fifo.ino)) return `process ${hint.pid} does not serve ${hint.path}`;
  return undefined;
}

/**
 * Beneath the server with no jobserver-aware runner in between (only shells,
 * npm, turbo, ...): then the jobslot clients there share its one implicit slot.
 */
export function sharesImplicitSlot(hint: PoolHint): boolean {
  const path = ancestorsUpTo(hint.pid);
  return path !== undefined && !path.some((pid) => JOBSERVER_RUNNERS.test(commOf(pid)));
}

/** The ancestors of this process below `top`, nearest first (none: `top` is this process); undefined if `top` is not an ancestor. */
function ancestorsUpTo(top: number): number[] | undefined {
  const between: number[] = [];
  if (top === process.pid) return between;
  let pid = process.ppid;
  for (let depth = 0; depth < 64 && pid > 1; depth++) {
    if (pid === top) return between;
    between.push(pid);
    const ppid = parentOf(pid);
    if (ppid === undefined) return undefined;
    pid = ppid;
  }
  return undefined;
}

/** Does process `pid` hold this fifo (dev, ino) open for reading and writing, as a server does? */
function servesFifo(pid: number, dev: number, ino: number): boolean {
  return (fdsOnInode(pid, dev, ino) ?? []).some((fd) => accessMode(pid, fd) === 2);
}

/** Does process `pid` hold this (dev, ino) open? */
function holdsInode(pid: number, dev: number, ino: number): boolean {
  return (fdsOnInode(pid, dev, ino, true)?.length ?? 0) > 0;
}

/** Is the descriptor (or path) the pool the hint names? */
export function isPool(hint: PoolHint, fdOrPath: number | string): boolean {
  try {
    const a = typeof fdOrPath === 'number' ? fstatSync(fdOrPath) : statSync(fdOrPath);
    const b = statSync(hint.path);
    return a.isFIFO() && a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/**
 * Tries to take the pool's implicit slot for this process: an flock on a
 * descriptor of our own that stays open as long as the process lives. Returns
 * a function to try again later (null once it has won).
 */
export function implicitSlotLock(hint: PoolHint): { won: boolean; retry: () => boolean } {
  const libc = loadLibc();
  let fd: number | undefined;
  try {
    fd = openSync(hint.path, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  } catch {
    // Cannot lock: behave as the owner would (make counted this process).
    return { won: true, retry: () => true };
  }
  const { LOCK_EX, LOCK_NB } = libc.constants;
  let won = false;
  const attempt = () => {
    if (won) return true;
    won = libc.flock(fd!, LOCK_EX | LOCK_NB) === 0;
    return won;
  };
  attempt();
  return { won, retry: attempt };
}
