// A jobserver of our own, as make runs one: a pool of tokens the command and
// everything beneath it share, the command's own job being the implicit slot.
// A leaf: the `jobslot` command (`jobslot -j N`, and `jobslot run`'s sub-pool)
// and the tests use it.
//
// The pool is always a named fifo in a private directory (0700), so it can be
// handed down in both of the forms make's world reads:
// - 'pipe' style (the default): inherited descriptors, `--jobserver-auth=R,W`.
//   Every jobserver client reads this: make 3.8x to 4.4, gcc's
//   -flto=jobserver (gcc 12 reads nothing else), cargo, ninja.
// - 'fifo' style: `--jobserver-auth=fifo:PATH`, as make 4.4 passes it. make
//   4.3 and gcc 12 stop with "invalid --jobserver-auth string" on it.
// Either way JOBSLOT_POOL names the fifo too (see pool.ts), so a jobslot client
// whose descriptors node closed on the way (`npm run`) can still find it.
import { fs, os, path } from '../builtins.js';
import { loadLibc, type Libc } from '../ffi/libc.js';
import { escapeMakeflagsWord, withJobserver } from '../makeflags.js';
import { privateDirProblem } from '../private-dir.js';
import { formatPoolHint, POOL_VARIABLE } from './pool-hint.js';

const { closeSync, constants: fsc, lstatSync, mkdtempSync, openSync, rmdirSync, rmSync, unlinkSync } = fs;
const { tmpdir } = os;
const { isAbsolute, join } = path;

/**
 * The most tokens a pool holds. make's pipe holds 64 KiB, one byte a token,
 * and a writer that finds it full blocks: make itself fails beyond that.
 */
export const MAX_JOBS = 4096;

export interface JobserverOptions {
  /** -jN: the command may run N jobs at once (N-1 tokens plus its implicit slot). */
  jobs: number;
  /** How MAKEFLAGS names the pool: 'pipe' (R,W descriptors; the default) or 'fifo' (a path, make 4.4+). */
  style?: 'fifo' | 'pipe';
  /** Tokens put in the pool at the start. Default: jobs - 1. */
  tokens?: number;
  /** The byte tokens carry. Default '+', as make. */
  tokenByte?: number;
  /**
   * MAKEFLAGS to build on: its other flags (-k, variables after `--`) are
   * kept, its -j and jobserver replaced. Default: none.
   */
  baseMakeflags?: string;
  /**
   * The command runs in this very process (`jobslot run`'s in-process.ts), not
   * in a child spawned with `stdio`. Pipe style: its descriptors stay where
   * they are, open across exec so what it spawns inherits them (as make's
   * children do), and MAKEFLAGS names them there, not on 3 and 4.
   */
  commandHere?: boolean;
}

export interface Jobserver {
  readonly style: 'fifo' | 'pipe';
  readonly jobs: number;
  /** The fifo. */
  readonly path: string;
  /** Tokens given out into the pool so far, less those taken back with remove(). */
  readonly tokens: number;
  /** The MAKEFLAGS value for the command. */
  readonly makeflags: string;
  /** Extra stdio entries for child_process.spawn: in 'pipe' style the pool's fds land on 3 and 4. */
  readonly stdio: number[];
  /** `base` with MAKEFLAGS (and MFLAGS, CARGO_MAKEFLAGS where present) naming this pool, and JOBSLOT_POOL. */
  env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Puts one more token in the pool (the byte of a token taken elsewhere, say). */
  add(byte?: number): void;
  /** Takes a token back out of the pool if one is free now; false if none is. */
  remove(): boolean;
  /** Tokens free in the pool right now. */
  free(): number;
  /**
   * Takes every token now in the pool, closes and removes the jobserver; says
   * how many came back, how many of those given out did not (lost), and how
   * many more came back than were given out (extra).
   */
  close(): { returned: number; lost: number; extra: number };
}

export function createJobserver(options: JobserverOptions): Jobserver {
  const jobs = options.jobs;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_JOBS) {
    throw new RangeError(`jobs must be a whole number from 1 to ${MAX_JOBS}, got ${options.jobs}`);
  }
  const style = options.style ?? 'pipe';
  const initial = options.tokens ?? jobs - 1;
  if (!Number.isInteger(initial) || initial < 0 || initial > MAX_JOBS) throw new RangeError(`tokens must be a whole number from 0 to ${MAX_JOBS}, got ${initial}`);
  const tokenByte = options.tokenByte ?? 0x2b;
  const libc = loadLibc();

  const dir = mkdtempSync(join(poolParent(), 'jobslot-'));
  const fifo = join(dir, 'fifo');
  if (libc.mkfifo(fifo, 0o600) !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mkfifo ${fifo} failed (errno ${libc.errno()})`);
  }
  // Held open read-write for the whole run: clients never see end-of-file
  // while we serve, and writes never fail for want of a reader.
  const own = openSync(fifo, fsc.O_RDWR | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  let stdio: number[] = [];
  let auth: string;
  if (style === 'pipe') {
    // Descriptions of their own for the command, blocking as a pipe(2)'s
    // would be: what the command does to their flags does not touch ours.
    const read = openBlocking(libc, fifo, fsc.O_RDONLY);
    const write = openBlocking(libc, fifo, fsc.O_WRONLY);
    if (options.commandHere) {
      for (const fd of [read, write]) libc.fcntl(fd, libc.constants.F_SETFD, 0);
      auth = `${read},${write}`;
    } else auth = '3,4';
    stdio = [read, write];
  } else {
    auth = `fifo:${escapeMakeflagsWord(fifo)}`;
  }
  const makeflags = withJobserver(options.baseMakeflags, jobs, auth);

  const one = Buffer.alloc(1);
  let tokens = 0;
  const add = (byte = tokenByte) => {
    one[0] = byte;
    if (libc.write(own, one, 1) !== 1) throw new Error(`cannot fill the jobserver (errno ${libc.errno()})`);
    tokens++;
  };
  for (let i = 0; i < initial; i++) add();
  let closed: { returned: number; lost: number; extra: number } | undefined;
  return {
    style,
    jobs,
    path: fifo,
    get tokens() {
      return tokens;
    },
    makeflags,
    get stdio() {
      return stdio;
    },
    env(base = process.env) {
      const env: NodeJS.ProcessEnv = { ...base, MAKEFLAGS: makeflags, [POOL_VARIABLE]: formatPoolHint(process.pid, fifo) };
      // cargo reads CARGO_MAKEFLAGS first; MFLAGS is the old name. Each names us too, or goes.
      for (const variable of ['CARGO_MAKEFLAGS', 'MFLAGS'] as const) {
        if (base[variable] !== undefined) env[variable] = withJobserver(base[variable], jobs, auth);
      }
      return env;
    },
    add,
    remove() {
      const n = libc.read(own, one, 1);
      if (n !== 1) return false;
      tokens--;
      return true;
    },
    free() {
      return Math.max(0, libc.pending(own));
    },
    close() {
      if (closed) return closed;
      // The descriptors opened for the command (spawn gave it copies): closed with the pool.
      for (const fd of stdio.splice(0)) closeSync(fd);
      const buf = Buffer.alloc(256);
      let returned = 0;
      for (;;) {
        const n = libc.read(own, buf, buf.length);
        if (n <= 0) break;
        returned += n;
      }
      closeSync(own);
      removePoolDir(dir, fifo);
      closed = { returned, lost: Math.max(0, tokens - returned), extra: Math.max(0, returned - tokens) };
      return closed;
    },
  };
}

/**
 * Where the pool's private directory goes: the temporary directory when the
 * user chose one (TMPDIR, as make 4.4 puts its fifo there), else a tmpfs where
 * there is one (the user's XDG_RUNTIME_DIR, else Linux's /dev/shm), else the
 * temporary directory. Removing a directory from a disk can be slow: 2-3 ms
 * on ext4 mounted with `discard` (measured here), at every `jobslot run`'s exit.
 */
function poolParent(): string {
  if (process.env.TMPDIR) return tmpdir();
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime && isAbsolute(runtime) && privateDirProblem(runtime) === undefined) return runtime;
  if (process.platform === 'linux' && isStickyShared('/dev/shm')) return '/dev/shm';
  return tmpdir();
}

/**
 * The fifo, then its directory: two calls on `jobslot run`'s way out, where
 * rmSync's recursive walk loads a module of node's own first. Anything else
 * found there (nothing of ours) is left to rmSync.
 */
function removePoolDir(dir: string, fifo: string): void {
  try {
    unlinkSync(fifo);
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** World-writable with the sticky bit, as /tmp: mkdtemp's private directory is as safe there. */
function isStickyShared(dir: string): boolean {
  try {
    const stats = lstatSync(dir);
    return stats.isDirectory() && (stats.mode & 0o1777) === 0o1777;
  } catch {
    return false;
  }
}

/** Opens the fifo without waiting for the other side, then makes the description blocking. */
function openBlocking(libc: Libc, fifo: string, mode: number): number {
  const fd = openSync(fifo, mode | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  const { F_GETFL, F_SETFL, O_NONBLOCK } = libc.constants;
  libc.fcntl(fd, F_SETFL, libc.fcntl(fd, F_GETFL, 0) & ~O_NONBLOCK);
  return fd;
}
