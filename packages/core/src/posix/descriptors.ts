// Proving that descriptors (or a fifo path) are the jobserver's before a byte
// is read from them: node marks inherited fds close-on-exec, so under
// `make -> npm run -> node` the numbers in MAKEFLAGS are closed or reused by
// node's own pipes. Check the type, the pair, the access modes, and (Linux)
// that an ancestor holds the same pipe; each way it can be wrong is a typed
// JobserverError that says the fix.
import type { BigIntStats, Stats } from 'node:fs';
import { fs } from '../builtins.js';
import { JobserverError } from '../errors.js';
import type { Libc } from '../ffi/libc.js';
import { openEmulatedFifo } from './emulated-fifo.js';
import { accessMode, fdsWhere, parentOf, statFields } from './proc.js';

const { closeSync, constants: fsc, fstatSync, openSync, readlinkSync, statSync } = fs;

const LINUX = process.platform === 'linux';

function describe(stats: Stats | BigIntStats, fd?: number): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isBlockDevice()) return 'a block device';
  // epoll, eventfd and the like: name it as the kernel does, where we can.
  try {
    if (LINUX && fd !== undefined) return `something else (${readlinkSync(`/proc/self/fd/${fd}`)})`;
  } catch {
    // fall through
  }
  return 'something else';
}

function fstatOrThrow(fd: number, role: string): Stats {
  try {
    return fstatSync(fd);
  } catch {
    throw new JobserverError('closed-fd', `make's jobserver did not reach this process: mark the recipe with '+' and run node directly, not through npm run or npx (or use make 4.4's fifo style, --jobserver-style=fifo). Detail: the jobserver's ${role} fd ${fd} is not open in this process`);
  }
}

/** A process, told apart from a later one that reuses its pid by its start time. */
export interface ProcessId {
  pid: number;
  start: string | undefined;
}

function processId(pid: number): ProcessId {
  return { pid, start: statFields(pid)?.[19] };
}

export function isRunning(id: ProcessId): boolean {
  const fields = statFields(id.pid);
  return fields !== undefined && fields[0] !== 'Z' && fields[19] === id.start;
}

/**
 * The ancestors of this process that hold this pipe (`pipe:[ino]`), nearest
 * first; with `bothEnds`, only those holding it open for reading and for
 * writing, as a jobserver's owner does. false: none does; undefined: cannot tell.
 *
 * The walk goes up until it has found the holders and passed them: it stops
 * at the first ancestor above a holder that does not hold the pipe (or
 * cannot be read), or at the first holder with `first`. Descriptors are
 * inherited, so the holders are one unbroken line from the nearest up to the
 * jobserver's owner (the top make, cargo, `jobslot -j`), and the processes
 * above the owner (a shell, a terminal, an editor with hundreds of
 * descriptors, up to pid 1) need not be read: each is a readdir and a
 * readlink per descriptor before the command starts. (A line with a gap, an
 * ancestor that closed its copy after its child was forked while one above
 * it still holds the pipe, ends at the gap: its top is taken for the owner.)
 */
function ancestorsHolding(link: string, options: { bothEnds?: boolean; first?: boolean } = {}): number[] | false | undefined {
  let pid = process.ppid;
  let readable = false;
  const holders: number[] = [];
  for (let depth = 0; depth < 32 && pid > 1; depth++) {
    // undefined: not ours to read (another user) or gone
    const fds = fdsWhere(pid, (fdPath) => readlinkSync(fdPath) === link);
    if (fds) readable = true;
    let reads = false;
    let writes = false;
    for (const fd of fds ?? []) {
      const mode = options.bothEnds ? accessMode(pid, fd) : 2;
      if (mode === 0 || mode === 2) reads = true;
      if (mode === 1 || mode === 2) writes = true;
      if (reads && writes) break;
    }
    if (reads && writes) {
      holders.push(pid);
      if (options.first) break;
    } else if (holders.length > 0) {
      break;
    }
    const ppid = parentOf(pid);
    if (ppid === undefined) break;
    pid = ppid;
  }
  if (holders.length > 0) return holders;
  return readable ? false : undefined;
}

/**
 * Checks that fds R,W are the jobserver's pipe. Returns its owner on Linux:
 * the farthest ancestor holding it (the top make, cargo, `jobslot -j`), whose
 * end is the jobserver's end: every client holds a write end of its own, so
 * a pipe jobserver never shows end-of-file.
 */
export function validatePipe(libc: Libc, read: number, write: number): ProcessId | undefined {
  const r = fstatOrThrow(read, 'read');
  const w = fstatOrThrow(write, 'write');
  if (!r.isFIFO()) throw new JobserverError('not-a-pipe', `make's jobserver did not reach this process: mark the recipe with '+' and run node directly, not through npm run or npx (or use make 4.4's fifo style, --jobserver-style=fifo). Detail: the jobserver's read fd ${read} is ${describe(r, read)}, not a pipe`);
  if (!w.isFIFO()) throw new JobserverError('not-a-pipe', `make's jobserver did not reach this process: mark the recipe with '+' and run node directly, not through npm run or npx (or use make 4.4's fifo style, --jobserver-style=fifo). Detail: the jobserver's write fd ${write} is ${describe(w, write)}, not a pipe`);
  if (r.ino !== w.ino || r.dev !== w.dev) {
    throw new JobserverError('different-pipes', `the jobserver's fds ${read} and ${write} are two different pipes`);
  }
  const { F_GETFL, O_ACCMODE, O_WRONLY, O_RDONLY } = libc.constants;
  const rmode = libc.fcntl(read, F_GETFL, 0) & O_ACCMODE;
  const wmode = libc.fcntl(write, F_GETFL, 0) & O_ACCMODE;
  if (rmode === O_WRONLY) throw new JobserverError('wrong-access-mode', `the jobserver's read fd ${read} is open for writing only`);
  if (wmode === O_RDONLY) throw new JobserverError('wrong-access-mode', `the jobserver's write fd ${write} is open for reading only`);
  if (LINUX) {
    const link = readlinkSync(`/proc/self/fd/${read}`);
    const holders = ancestorsHolding(link);
    if (holders === false) {
      throw new JobserverError('foreign-pipe', `fds ${read},${write} are a pipe no parent process holds: not the jobserver's (its fds were closed on the way here and the numbers reused)`);
    }
    if (holders) return processId(holders.at(-1)!);
  }
  return undefined;
}

/** The fifo at `path`, opened for reading; or an emulated fifo (a jobserver device, see emulated-fifo.ts), opened read-write. */
export function openFifo(path: string): { fd: number; device: boolean } {
  let stats: BigIntStats;
  try {
    stats = statSync(path, { bigint: true });
  } catch {
    throw new JobserverError('missing-fifo', `the jobserver fifo ${path} does not exist`);
  }
  if (stats.isCharacterDevice()) return { fd: openEmulatedFifo(path, stats), device: true };
  if (!stats.isFIFO()) throw new JobserverError('not-a-fifo', `the jobserver path ${path} is ${describe(stats)}, not a fifo`);
  let fd: number;
  try {
    // O_NONBLOCK: open returns at once even with no writer, and reads never block.
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  } catch (error) {
    throw new JobserverError('cannot-open', `cannot open the jobserver fifo ${path}: ${(error as Error).message}`);
  }
  if (!fstatSync(fd).isFIFO()) {
    closeSync(fd);
    throw new JobserverError('not-a-fifo', `the jobserver path ${path} changed under us and is not a fifo`);
  }
  if (LINUX) {
    // A path that reaches an anonymous pipe (/proc/PID/fd/N, /dev/fd/N, a
    // link to one) is some process's pipe: the jobserver's only if an
    // ancestor of ours holds both its ends, as make (or jobslot) does.
    // Otherwise reading it would take (and reorder) that process's data.
    const link = readlinkSync(`/proc/self/fd/${fd}`);
    if (link.startsWith('pipe:[') && !ancestorsHolding(link, { bothEnds: true, first: true })) {
      closeSync(fd);
      throw new JobserverError('foreign-pipe', `the jobserver path ${path} is another process's pipe (${link}) that no parent process holds both ends of: not the jobserver's`);
    }
  }
  return { fd, device: false };
}

