// JobClient: the jobserver as make's children see it. Finds it in the
// environment, hands out tokens (without waiting, with a timeout, with
// cancellation, or blocking), and gives back exactly what it took.
//
// Platform-independent: the reading and writing live in a Backend, one per
// platform (posix/, windows/). Waiters queue here; one backend watch
// serves them all, so many pending acquire() calls cost no more than one.
import { os } from '../builtins.js';
import type { Backend } from '../backend.js';
import { discoverJobserver } from './discover.js';
import { abortError, JobserverError } from '../errors.js';
import { dieOfPendingSignal, onProcessExit } from '../exit.js';
import { contendForImplicitSlot, processSlots, reclaimImplicitSlot } from './implicit-slot.js';
import type { PoolHint } from '../backend.js';
import { platform } from './platform.js';
import { trace } from '../trace.js';
import type { AcquireOptions, FromEnvOptions, JobserverClient, Token } from '../types.js';
import { WaitQueue } from '../wait-queue.js';

export type { AcquireOptions, FromEnvOptions, JobserverClient, Token } from '../types.js';

/** A timeout in ms: undefined or Infinity waits for ever; NaN, negatives and non-numbers are mistakes. */
function checkTimeout(timeout: unknown, method: string): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new TypeError(`${method}: timeout must be a number of milliseconds, 0 or more (or Infinity), got ${String(timeout)}`);
  }
  return timeout;
}

function defaultWarning(message: string): void {
  process.stderr.write(`jobslot: ${message}\n`);
}

class ClientToken implements Token {
  released = false;
  constructor(
    readonly byte: number,
    private readonly client: JobClient,
  ) {}
  release(): void {
    if (this.released) return;
    this.released = true;
    this.client['give'](this);
  }
}

/** The jobserver client (see {@link JobserverClient}): `JobClient.fromEnv()`. */
export class JobClient implements JobserverClient {
  private _connected = false;
  private _error: JobserverError | undefined;
  private _style: 'fifo' | 'pipe' | 'sem' | undefined;
  /** A usable jobserver was found. Turns false if it closes. */
  get connected(): boolean {
    return this._connected;
  }
  /** Why discovery found no usable jobserver, with the variable that named it (undefined if it did). */
  get error(): JobserverError | undefined {
    return this._error;
  }
  get style(): 'fifo' | 'pipe' | 'sem' | undefined {
    return this._style;
  }
  /** The -jN hint, when make gave one. */
  readonly jobs: number | undefined;
  /**
   * This process may run one job without a token (make's implicit slot).
   * False while a sibling beneath the same `jobslot run` owns it (a runner
   * such as turbo started both on one slot): then every job here needs a token.
   */
  get implicitSlot(): boolean {
    return processSlots().implicit;
  }
  /**
   * How many slots to use when there is no usable jobserver: 1 under make
   * (make -j1, or a jobserver we cannot use: make itself says "jobserver
   * unavailable: using -j1"), else (no make, or make -j without a limit) the
   * CPU count.
   */
  readonly fallbackSlots: number;

  private backend: Backend | undefined;
  private readonly tokens = new Set<ClientToken>();
  /** Pending acquire() calls, oldest first. */
  private readonly waiters = new WaitQueue<Token | null>();
  private stopWatch: (() => void) | undefined;
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private readonly warn: (message: string) => void;
  private unregisterExit: (() => void) | undefined;
  private closed = false;

  /** Tokens held right now (the implicit one not counted). */
  get held(): number {
    return this.tokens.size;
  }

  static fromEnv(options: FromEnvOptions = {}): JobClient {
    return new JobClient(options);
  }

  private constructor(options: FromEnvOptions) {
    const env = options.env ?? process.env;
    const onWarning = options.onWarning ?? defaultWarning;
    let warned = false;
    this.warn = (message) => {
      if (warned) return;
      warned = true;
      trace('warn', { message });
      onWarning(message);
    };
    const found = discoverJobserver(env, options.waitMode);
    this.jobs = found.flags?.jobs;
    this.fallbackSlots = found.flags && !found.flags.unlimited ? 1 : os.availableParallelism();
    if (!found.ok) {
      this._error = found.error;
      if (found.warn) this.warn(`${found.error.message}; running without the jobserver`);
      return;
    }
    this.backend = found.backend;
    if (found.notice) this.warn(found.notice);
    if (found.pool) this.joinPool(found.pool);
    this._style = this.backend.style;
    this._connected = true;
    this.unregisterExit = onProcessExit(() => this.releaseAllNow());
    trace('connect', { jobs: this.jobs, message: this.style });
  }

  /**
   * Beneath a `jobslot run` with no make (or cargo) in between, jobslot clients share
   * the one implicit slot the pool was served with (see posix/pool-hint.ts).
   */
  private joinPool(hint: PoolHint): void {
    const pools = platform.pools;
    if (!pools?.sharesImplicitSlot(hint)) return;
    contendForImplicitSlot(() => pools.implicitSlotLock(hint));
    if (!processSlots().implicit) trace('sibling', { message: hint.path });
  }

  /** Takes a token if one is free right now; never waits. */
  tryAcquire(): Token | null {
    if (!this.connected || !this.backend) return null;
    let result;
    try {
      result = this.backend.take();
    } catch (error) {
      this.lose((error as Error).message);
      return null;
    }
    if (typeof result === 'number') return this.own(result);
    if (result === 'eof') this.lose('the jobserver closed (end of file on its pipe)');
    return null;
  }

  /**
   * Waits for a token. Resolves null on timeout, or at once without a
   * jobserver; rejects with an AbortError when `signal` aborts. The wait blocks
   * neither the event loop nor a threadpool thread (on Linux).
   */
  acquire(options: AcquireOptions = {}): Promise<Token | null> {
    const { signal } = options;
    const timeout = checkTimeout(options.timeout, 'acquire');
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const now = this.tryAcquire();
    if (now || !this.connected) return Promise.resolve(now);
    if (timeout === 0) return Promise.resolve(null);
    const waiting = this.waiters.wait({
      signal,
      timeout: { ms: timeout, value: null },
      onLeave: () => {
        if (this.waiters.length === 0) this.unwatch();
      },
    });
    this.watch();
    return waiting;
  }

  /** Blocks this thread for a token, at most `timeout` ms (default: as long as it takes). */
  acquireSync(options: { timeout?: number } = {}): Token | null {
    const deadline = performance.now() + checkTimeout(options.timeout, 'acquireSync');
    for (;;) {
      const token = this.tryAcquire();
      if (token || !this.connected || !this.backend) return token;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return null;
      if (this.tokens.size === 0) this.backend.idle();
      if (this.checkGone()) return null;
      // A signal that came meanwhile never reaches our listener while we block here.
      dieOfPendingSignal();
      // A signal wakes the wait (EINTR) where it lands on this thread; a short
      // wait bounds how late one is seen where it lands on another.
      this.backend.waitSync(Math.min(remaining, 250));
    }
  }

  /** Gives back every held token, ends every wait (null), and closes what it opened. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseAllNow();
    this.endWaits();
    this.backend?.close();
    this.unregisterExit?.();
    this._connected = false;
    this._error ??= new JobserverError('closed', 'the client was closed');
  }

  private own(byte: number): Token {
    const token = new ClientToken(byte, this);
    this.tokens.add(token);
    trace('acquire', { byte, held: this.tokens.size });
    return token;
  }

  private give(token: ClientToken): void {
    if (!this.tokens.delete(token)) return;
    try {
      this.backend!.give(token.byte);
      trace('release', { byte: token.byte, held: this.tokens.size });
      // The end of a long synchronous stretch, often: a signal that came during it dies here.
      dieOfPendingSignal();
    } catch (error) {
      trace('lost', { byte: token.byte, held: this.tokens.size, message: (error as Error).message });
      this.warn(`could not give a token back: ${(error as Error).message}`);
    }
  }

  /** Exit path: synchronous, and leaves no poll in flight to hold up the exit. */
  private releaseAllNow(): void {
    this.unwatch();
    for (const token of [...this.tokens]) token.release();
  }

  private watch(): void {
    if (this.stopWatch || !this.backend) return;
    const backend = this.backend;
    this.stopWatch = backend.watch(() => this.serveWaiters());
    // A ref'd timer keeps the process alive while someone waits (signal
    // handlers do not), and looks again now and then as a safety net. A wait
    // that lasts, with no token held, also lets go of our write end: then a
    // jobserver that goes away shows as end-of-file instead of a wait that
    // never ends. (Not at once: reopening it costs every quick handoff.)
    this.keepAlive = setInterval(() => {
      if (this.tokens.size === 0) backend.idle();
      this.checkGone();
      // A sibling waiting for a token may find the implicit slot free again
      // (it goes to whichever pool waits for it).
      reclaimImplicitSlot();
      this.serveWaiters();
    }, 1000);
  }

  private unwatch(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  private serveWaiters(): void {
    this.waiters.serveWhile(() => this.tryAcquire() ?? undefined);
    if (!this.connected) this.endWaits();
    // Stop watching after the served waiters have run (their continuations
    // were queued first), unless one of them is waiting again by then: that
    // keeps the fcntl() calls off the wake-up path.
    if (this.waiters.length === 0) queueMicrotask(() => this.waiters.length === 0 && this.unwatch());
  }

  /** Every pending wait resolves null. */
  private endWaits(): void {
    this.waiters.resolveAll(null);
  }

  /** A pipe jobserver shows no end-of-file when it dies: ask the backend for other signs. */
  private checkGone(): boolean {
    const gone = this.backend?.gone?.();
    if (gone) this.lose(gone);
    return gone !== undefined;
  }

  /** The jobserver is gone: every wait ends with null, later acquires return null. */
  private lose(reason: string): void {
    if (!this._connected) return;
    this._connected = false;
    this._error = new JobserverError('closed', reason);
    this.warn(`${reason}; running without the jobserver from now on`);
    queueMicrotask(() => this.serveWaiters());
  }
}
