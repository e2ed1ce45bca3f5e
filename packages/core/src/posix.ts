// The POSIX backend: make's pipe (`--jobserver-auth=R,W`) and fifo
// (`--jobserver-auth=fifo:PATH`) jobservers.
//
// Rules this file keeps:
// - Never change flags on inherited descriptors: make and every sibling share
//   their open file description. On Linux we reopen /proc/self/fd/R for a
//   private, non-blocking description instead.
// - Never read a descriptor that is not the jobserver's: node marks inherited
//   fds close-on-exec, so under `make -> npm run -> node` the numbers in
//   MAKEFLAGS are closed or reused by node's own pipes. Check the type, the
//   pair, the access modes, and (Linux) that an ancestor holds the same pipe.
// - Fifo style: open the path, never create it.
// - Waiting costs no thread on Linux: signal-driven I/O (O_ASYNC + F_SETOWN_EX
//   + F_SETSIG on our private description) makes the kernel send a signal
//   (SIGURG) when a token is written, and libuv delivers it to the event loop.
//   Elsewhere, and in worker threads, one poll() at a time runs on the libuv
//   threadpool with a wake-up pipe to cancel it.
// - Pipe style shows no end-of-file when make dies (every client holds a write
//   end): watch the pipe's owner instead. In worker threads, held bytes also
//   sit in an escrow (escrow.ts) that gives them back when the thread ends.
import type { BigIntStats, Stats } from 'node:fs';
import type { Backend, TakeResult } from './backend.js';
import { JobserverError } from './errors.js';
import { loadLibc, type Libc } from './ffi/libc.js';
import { Escrow } from './escrow.js';
import { openEmulatedFifo } from './emulated-fifo.js';
import { beforeSignalDeath, watchPendingSignals } from './exit.js';
import { pendingSignalPeek } from './pending-signal.js';
import type { JobserverAuth } from './makeflags.js';
import { parentOf, statFields } from './proc.js';
import { fs, os, workerThreads } from './builtins.js';

const { closeSync, constants: fsc, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } = fs;

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

/** The access mode (O_ACCMODE bits) of another process's fd, from /proc/PID/fdinfo. */
function accessMode(pid: number, fd: string): number | undefined {
  try {
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags === undefined ? undefined : parseInt(flags, 8) & 3;
  } catch {
    return undefined;
  }
}

/** A process, told apart from a later one that reuses its pid by its start time. */
interface ProcessId {
  pid: number;
  start: string | undefined;
}

function processId(pid: number): ProcessId {
  return { pid, start: statFields(pid)?.[19] };
}

function isRunning(id: ProcessId): boolean {
  const fields = statFields(id.pid);
  return fields !== undefined && fields[0] !== 'Z' && fields[19] === id.start;
}

/**
 * The ancestors of this process that hold this pipe (`pipe:[ino]`), nearest
 * first; with `bothEnds`, only those holding it open for reading and for
 * writing, as a jobserver's owner does. false: none does; undefined: cannot tell.
 */
function ancestorsHolding(link: string, options: { bothEnds?: boolean } = {}): number[] | false | undefined {
  let pid = process.ppid;
  let readable = false;
  const holders: number[] = [];
  for (let depth = 0; depth < 32 && pid > 1; depth++) {
    try {
      let reads = false;
      let writes = false;
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        readable = true;
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== link) continue;
        } catch {
          continue; // the fd closed while we looked
        }
        const mode = options.bothEnds ? accessMode(pid, fd) : 2;
        if (mode === 0 || mode === 2) reads = true;
        if (mode === 1 || mode === 2) writes = true;
        if (reads && writes) {
          holders.push(pid);
          break;
        }
      }
    } catch {
      // not ours to read (another user) or gone
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
function validatePipe(libc: Libc, read: number, write: number): ProcessId | undefined {
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
function openFifo(path: string): { fd: number; device: boolean } {
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
    if (link.startsWith('pipe:[') && !ancestorsHolding(link, { bothEnds: true })) {
      closeSync(fd);
      throw new JobserverError('foreign-pipe', `the jobserver path ${path} is another process's pipe (${link}) that no parent process holds both ends of: not the jobserver's`);
    }
  }
  return { fd, device: false };
}

type Watcher = { stop(): void };

/**
 * Signals reach only the main thread's event loop. Loaded here, not imported
 * at the top: node:worker_threads costs a process about 1 MB of RSS, and a
 * process without a jobserver should pay nothing.
 */
function onMainThread(): boolean {
  return workerThreads().isMainThread;
}

/**
 * The signal the kernel sends when the jobserver becomes readable. On Linux,
 * F_SETSIG makes it SIGURG rather than SIGIO: SIGURG's default action is to
 * be ignored, so if a program removes our listener (removeAllListeners) a
 * late signal costs nothing, where SIGIO's default kills the process ("I/O
 * possible", status 157). Our listener is put back while a wait goes on.
 */
const WAKE_SIGNAL: NodeJS.Signals = LINUX ? 'SIGURG' : 'SIGIO';
const wakeTargets = new Set<() => void>();
let mainTid: number | undefined;
function onWakeSignal(): void {
  for (const target of [...wakeTargets]) target();
}
/** (Re)installs the listener; never removed by us. */
function listenForWakeSignal(): void {
  if (!process.listeners(WAKE_SIGNAL).includes(onWakeSignal)) process.on(WAKE_SIGNAL, onWakeSignal);
}

/** The jobservers this process reads (device:inode), for onSignalDeath. */
const jobservers = new Set<string>();

/**
 * Main thread, Linux: when the process is about to die of a signal, give back
 * the tokens its worker threads hold. They sit in C stdio buffers (escrow.ts)
 * that exit() would flush, but death by a signal runs no exit(). First every
 * read end of the jobserver in the process, whichever thread opened it,
 * becomes /dev/null, so no thread can take a token that would die with the
 * process (the flush itself wakes waiting workers, which would take the bytes
 * it writes); then every stream is flushed, which writes the escrowed bytes
 * back.
 */
function onSignalDeath(libc: Libc, readFd: number): void {
  const first = jobservers.size === 0;
  const { dev, ino } = fstatSync(readFd);
  jobservers.add(`${dev}:${ino}`);
  if (!first) return;
  const peek = pendingSignalPeek(libc, listenForWakeSignal);
  if (peek) watchPendingSignals(peek);
  beforeSignalDeath(() => {
    const { F_GETFL, O_ACCMODE, O_RDONLY } = libc.constants;
    const nothing = openSync('/dev/null', fsc.O_RDONLY);
    for (const name of readdirSync('/proc/self/fd')) {
      const fd = Number(name);
      if (fd === nothing) continue;
      try {
        const stats = fstatSync(fd);
        if (!jobservers.has(`${stats.dev}:${stats.ino}`)) continue;
      } catch {
        continue; // closed meanwhile, or readdir's own fd
      }
      if ((libc.fcntl(fd, F_GETFL, 0) & O_ACCMODE) === O_RDONLY) libc.dup2(nothing, fd);
    }
    libc.stdio().flushAll();
  });
}

export class PosixBackend implements Backend {
  readonly style: 'pipe' | 'fifo';
  private readonly libc: Libc;
  private readonly buf = Buffer.alloc(1);
  private readonly out = Buffer.alloc(1);
  /** Our read fd: private and non-blocking on Linux and for fifos. */
  private readonly readFd: number;
  private readonly readIsPrivate: boolean;
  /** Write fd: inherited (pipe, not Linux), or private and opened when first needed. */
  private writeFd: number | undefined;
  private readonly writeIsPrivate: boolean;
  private readonly fifoPath: string | undefined;
  private watcher: Watcher | undefined;
  private closed = false;
  /** Pipe style on Linux: the process whose end is the jobserver's end. */
  private readonly owner: ProcessId | undefined;
  /** In a worker thread (Linux): held bytes that go back however the thread ends. */
  private readonly escrow: Escrow | undefined;

  constructor(auth: Extract<JobserverAuth, { kind: 'pipe' | 'fifo' }>, options: { waitMode?: 'signal' | 'poll' } = {}) {
    this.libc = loadLibc();
    let device = false;
    if (auth.kind === 'pipe') {
      this.style = 'pipe';
      this.owner = validatePipe(this.libc, auth.read, auth.write);
      if (LINUX) {
        this.readFd = openSync(`/proc/self/fd/${auth.read}`, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
        this.readIsPrivate = true;
        this.writeIsPrivate = true;
      } else {
        // No way to get a private description: read the shared one, only after
        // poll() says a token is there (make 4.3+ makes it non-blocking itself).
        this.readFd = auth.read;
        this.readIsPrivate = false;
        this.writeFd = auth.write;
        this.writeIsPrivate = false;
      }
    } else {
      this.style = 'fifo';
      this.fifoPath = auth.path;
      const opened = openFifo(auth.path);
      this.readFd = opened.fd;
      this.readIsPrivate = true;
      device = opened.device;
      if (device) {
        // Tokens go back through the descriptor that read them, never a
        // reopened one: a device server counts them per client.
        this.writeFd = this.readFd;
        this.writeIsPrivate = false;
      } else {
        this.writeIsPrivate = true;
      }
    }
    // A device is waited on with poll(): its driver may not signal (fasync).
    this.waitMode = options.waitMode ?? (LINUX && onMainThread() && !device ? 'signal' : 'poll');
    // The escrow reopens the read side to write held bytes back: not for a device (see above).
    this.escrow = this.readIsPrivate && !device ? this.openEscrow() : undefined;
    if (LINUX && onMainThread()) onSignalDeath(this.libc, this.readFd);
  }

  private readonly waitMode: 'signal' | 'poll';

  private openEscrow(): Escrow | undefined {
    if (!LINUX || onMainThread()) return undefined;
    const { O_WRONLY, O_NONBLOCK } = this.libc.constants;
    try {
      return new Escrow(this.libc, () => this.libc.stdio().open(`/proc/self/fd/${this.readFd}`, O_WRONLY | O_NONBLOCK | fsc.O_NOCTTY));
    } catch {
      // No __fpurge or pthread keys here: tokens go back on the usual paths only.
      return undefined;
    }
  }

  take(): TakeResult {
    if (this.closed) return 'eof';
    if (!this.readIsPrivate && !this.readable(0)) return 'empty';
    return this.escrow ? this.escrow.taking(() => this.readOne()) : this.readOne();
  }

  private readOne(): TakeResult {
    const { EINTR, EAGAIN } = this.libc.constants;
    for (;;) {
      const n = this.libc.read(this.readFd, this.buf, 1);
      if (n === 1) return this.buf[0]!;
      if (n === 0) return 'eof';
      const errno = this.libc.errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) return 'empty';
      throw new JobserverError('closed', `reading the jobserver failed (errno ${errno})`);
    }
  }

  give(byte: number): void {
    this.ensureWriteFd();
    // In a worker, the escrowed copy goes first, under the escrow's lock (escrow.ts).
    if (this.escrow) this.escrow.giving(byte, () => this.writeOne(byte));
    else this.writeOne(byte);
  }

  private writeOne(byte: number): void {
    const { EINTR, EAGAIN } = this.libc.constants;
    this.out[0] = byte;
    for (let attempt = 0; ; attempt++) {
      const n = this.libc.write(this.writeFd!, this.out, 1);
      if (n === 1) return;
      const errno = this.libc.errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN && attempt < 1000) {
        // The pipe is full (64 KiB of tokens?); wait a little and retry.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      throw new JobserverError('closed', `giving a token back failed (errno ${errno})`);
    }
  }

  /**
   * Opened when a token is given back, not when one is taken: that keeps an
   * open() off the wake-up path. It cannot fail for want of a reader (we are
   * one), so a token we hold can always go back.
   */
  private ensureWriteFd(): void {
    if (this.writeFd !== undefined) return;
    // On Linux, open the write side through our own read fd: it works for
    // pipes and for fifos whose path make has already removed.
    const path = LINUX ? `/proc/self/fd/${this.readFd}` : this.fifoPath!;
    this.writeFd = openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  }

  gone(): string | undefined {
    if (!this.owner || isRunning(this.owner)) return undefined;
    return `the jobserver is gone (pid ${this.owner.pid}, which held its pipe, has exited)`;
  }

  idle(): void {
    if (this.writeIsPrivate && this.writeFd !== undefined) {
      closeSync(this.writeFd);
      this.writeFd = undefined;
    }
  }

  private readable(timeoutMs: number): boolean {
    const fds = Buffer.alloc(8);
    fds.writeInt32LE(this.readFd, 0);
    fds.writeInt16LE(this.libc.constants.POLLIN, 4);
    const rc = this.libc.poll(fds, 1, timeoutMs);
    return rc > 0;
  }

  waitSync(timeoutMs: number): void {
    this.readable(Math.max(0, Math.ceil(timeoutMs)));
  }

  watch(onReady: () => void): () => void {
    if (this.watcher) throw new Error('PosixBackend: already watching');
    const watcher = this.waitMode === 'signal' ? this.watchSignal(onReady) : this.watchPoll(onReady);
    this.watcher = watcher;
    return () => {
      if (this.watcher === watcher) this.watcher = undefined;
      watcher.stop();
    };
  }

  /** Linux: the kernel signals this process when the pipe gets a byte or loses its last writer. */
  private watchSignal(onReady: () => void): Watcher {
    const { F_GETFL, F_SETFL, F_SETOWN, O_ASYNC } = this.libc.constants;
    listenForWakeSignal();
    wakeTargets.add(onReady);
    if (LINUX) {
      this.libc.fcntl(this.readFd, this.libc.constants.F_SETSIG, os.constants.signals.SIGURG);
      // Send it to the main thread itself: it sleeps in epoll_wait, and being
      // interrupted there saves waking some other thread that would then have
      // to wake the main one.
      const owner = Buffer.alloc(8);
      owner.writeInt32LE(this.libc.constants.F_OWNER_TID, 0);
      owner.writeInt32LE((mainTid ??= this.libc.gettid()), 4);
      this.libc.fcntlPtr(this.readFd, this.libc.constants.F_SETOWN_EX, owner);
    } else {
      this.libc.fcntl(this.readFd, F_SETOWN, process.pid);
    }
    this.libc.fcntl(this.readFd, F_SETFL, this.libc.fcntl(this.readFd, F_GETFL, 0) | O_ASYNC);
    // A token written before O_ASYNC was set sent no signal: look once now.
    queueMicrotask(onReady);
    // Someone may remove every listener of the signal while we wait: put ours
    // back (the client's 1 s safety look serves the wait meanwhile).
    const relisten = setInterval(listenForWakeSignal, 1000);
    relisten.unref();
    return {
      stop: () => {
        clearInterval(relisten);
        wakeTargets.delete(onReady);
        if (!this.closed) this.libc.fcntl(this.readFd, F_SETFL, this.libc.fcntl(this.readFd, F_GETFL, 0) & ~O_ASYNC);
      },
    };
  }

  /** Elsewhere: one poll() on the threadpool at a time, woken through our own pipe to cancel. */
  private watchPoll(onReady: () => void): Watcher {
    const libc = this.libc;
    const { POLLIN } = libc.constants;
    const wake = new Int32Array(2);
    if (libc.pipe(wake) !== 0) throw new JobserverError('cannot-open', 'cannot create the wake-up pipe');
    const fds = Buffer.alloc(16);
    fds.writeInt32LE(this.readFd, 0);
    fds.writeInt16LE(POLLIN, 4);
    fds.writeInt32LE(wake[0]!, 8);
    fds.writeInt16LE(POLLIN, 12);
    let stopped = false;
    let inFlight = false;
    let cleaned = false;
    const cleanup = () => {
      if (cleaned) return;
      cleaned = true;
      // Made by libc's pipe(), not node's fs: close them the same way (in a
      // worker, fs.closeSync warns about fds it did not open).
      libc.close(wake[0]!);
      libc.close(wake[1]!);
    };
    const arm = () => {
      inFlight = true;
      // The timeout bounds how long a forgotten poll can hold a threadpool thread.
      libc.pollAsync(fds, 2, 1000, () => {
        inFlight = false;
        if (stopped) return cleanup();
        onReady();
        // onReady may have stopped us (its last waiter was served).
        if (!stopped) arm();
        else cleanup();
      });
    };
    queueMicrotask(onReady);
    arm();
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        if (inFlight) libc.write(wake[1]!, Buffer.from([1]), 1);
        else cleanup();
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.escrow?.close();
    this.watcher?.stop();
    this.watcher = undefined;
    this.closed = true;
    if (this.writeIsPrivate && this.writeFd !== undefined) closeSync(this.writeFd);
    if (this.readIsPrivate) closeSync(this.readFd);
    this.writeFd = undefined;
  }
}
