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
//   sit in an escrow (escrow.ts) that gives them back when the thread ends,
//   or, if a termination signal would kill the process with no listener of
//   ours to flush it, in a lifeline outside the process (lifeline.ts).
//
// Its other concerns, one a file: proving descriptors are the jobserver's
// (descriptors.ts), the process-wide wake-up signal (wake.ts), giving worker
// threads' tokens back on signal death (signal-death.ts, escrow.ts, lifeline.ts).
import type { Backend, TakeResult } from '../backend.js';
import { fs, os, workerThreads } from '../builtins.js';
import { JobserverError } from '../errors.js';
import { loadLibc, type Libc } from '../ffi/libc.js';
import type { JobserverAuth } from '../makeflags.js';
import { isRunning, openFifo, validatePipe, type ProcessId } from './descriptors.js';
import { Escrow } from './escrow.js';
import { Lifeline } from './lifeline.js';
import { onSignalDeath } from './signal-death.js';
import { listenForWakeSignal, onWakeSignal, wakeRecord } from './wake.js';

const { closeSync, constants: fsc, openSync } = fs;

const LINUX = process.platform === 'linux';

/** Signals that kill a build: a worker's tokens must survive their default action. */
const DEATH_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((name) => os.constants.signals[name as 'SIGINT']);

type Watcher = { stop(): void };

/**
 * Signals reach only the main thread's event loop. On Linux the main thread
 * is the one whose thread id is the process id: one gettid(), where
 * node:worker_threads would load it and the streams it brings (~1.5 ms of
 * every `jobslot run`'s start). Elsewhere it is loaded here, not imported at
 * the top: it costs a process about 1 MB of RSS, and a process without a
 * jobserver should pay nothing.
 */
function onMainThread(libc: Libc): boolean {
  return LINUX ? libc.gettid() === process.pid : workerThreads().isMainThread;
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
  private readonly escrow: Escrow | Lifeline | undefined;

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
    this.waitMode = options.waitMode ?? (LINUX && onMainThread(this.libc) && !device ? 'signal' : 'poll');
    // The escrow reopens the read side to write held bytes back: not for a device (see above).
    this.escrow = this.readIsPrivate && !device ? this.openEscrow() : undefined;
    if (LINUX && onMainThread(this.libc)) onSignalDeath(this.libc, this.readFd);
  }

  private readonly waitMode: 'signal' | 'poll';

  private openEscrow(): Escrow | Lifeline | undefined {
    if (!LINUX || onMainThread(this.libc)) return undefined;
    const { O_WRONLY, O_NONBLOCK } = this.libc.constants;
    const openWriteEnd = () => this.libc.stdio().open(`/proc/self/fd/${this.readFd}`, O_WRONLY | O_NONBLOCK | fsc.O_NOCTTY);
    // A termination signal that takes its default action kills the process
    // before any flush (the main thread has no client, so no hook listens):
    // the held bytes must sit outside the process (lifeline.ts). Otherwise the
    // main thread's hooks flush the escrow, at no start-up cost here.
    let escrow: Escrow | undefined;
    try {
      escrow = new Escrow(this.libc, openWriteEnd);
    } catch {
      // No __fpurge or pthread keys here: tokens go back on the usual paths only.
    }
    if (!DEATH_SIGNALS.some((signal) => this.libc.signalDefault(signal))) return escrow;
    // Started on the first take; falls back to the escrow if it cannot be had.
    return new Lifeline(this.libc, this.readFd, openWriteEnd, () => {
      this.ensureWriteFd();
      return this.writeFd!;
    }, escrow);
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
    const stopWaking = onWakeSignal(onReady);
    if (LINUX) {
      this.libc.fcntl(this.readFd, this.libc.constants.F_SETSIG, os.constants.signals.SIGURG);
      // Send it to the main thread itself: it sleeps in epoll_wait, and being
      // interrupted there saves waking some other thread that would then have
      // to wake the main one.
      const owner = Buffer.alloc(8);
      owner.writeInt32LE(this.libc.constants.F_OWNER_TID, 0);
      owner.writeInt32LE((wakeRecord().mainTid ??= this.libc.gettid()), 4);
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
        stopWaking();
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
