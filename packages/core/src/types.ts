// @jobslot/core's public API, declared in one place (as esbuild's
// lib/shared/types.ts is): the index exports these and the values that
// implement them. docs/api/core.api.md is generated from it (api-extractor)
// and checked in CI, so a change to the API is a visible diff.
import type { JobserverError } from './errors.js';

export type { JobserverErrorKind } from './errors.js';

// The jobserver client (client/client.ts: JobClient implements it)

/**
 * The jobserver as make's children see it: found in the environment
 * (`JobClient.fromEnv()`), it hands out tokens (without waiting, with a
 * timeout, with cancellation, or blocking) and gives back exactly what it took.
 */
export interface JobserverClient {
  /** A usable jobserver was found. Turns false if it closes. */
  readonly connected: boolean;
  /**
   * Why there is no usable jobserver (discovery found none, or it went away):
   * a JobserverError whose `kind` is typed and whose `variable` says where it
   * was named. undefined while connected.
   */
  readonly error: JobserverError | undefined;
  readonly style: 'fifo' | 'pipe' | 'sem' | undefined;
  /** The -jN hint, when make gave one. */
  readonly jobs: number | undefined;
  /**
   * This process may run one job without a token (make's implicit slot).
   * False while a sibling beneath the same `jobslot run` owns it (a runner
   * such as turbo started both on one slot): then every job here needs a token.
   */
  readonly implicitSlot: boolean;
  /**
   * How many slots to use when there is no usable jobserver: 1 under make
   * (make -j1, or a jobserver we cannot use: make itself says "jobserver
   * unavailable: using -j1"), else (no make, or make -j without a limit) the
   * CPU count.
   */
  readonly fallbackSlots: number;
  /** Tokens held right now (the implicit one not counted). */
  readonly held: number;
  /** Takes a token if one is free right now; never waits. */
  tryAcquire(): Token | null;
  /**
   * Waits for a token. Resolves null on timeout, or at once without a
   * jobserver; rejects with an AbortError when `signal` aborts. The wait blocks
   * neither the event loop nor a threadpool thread (on Linux).
   */
  acquire(options?: AcquireOptions): Promise<Token | null>;
  /** Blocks this thread for a token, at most `timeout` ms (default: as long as it takes). */
  acquireSync(options?: { timeout?: number }): Token | null;
  /** Gives back every held token, ends every wait (null), and closes what it opened. */
  close(): void;
}

export interface FromEnvOptions {
  /** Where to look for MAKEFLAGS. Default: `process.env`. */
  env?: Record<string, string | undefined>;
  /** Called with the one warning about an unusable jobserver. Default: a line on stderr. */
  onWarning?: (message: string) => void;
  /**
   * How to wait for tokens on POSIX: 'signal' (SIGURG via F_SETSIG, Linux main thread, no
   * thread spent) or 'poll' (one poll() on the libuv threadpool). Default: the
   * best this platform and thread allow. For benchmarks and tests.
   */
  waitMode?: 'signal' | 'poll';
}

export interface AcquireOptions {
  /** Give up after this many ms and resolve null. Default: wait as long as it takes. */
  timeout?: number;
  /** Abort the wait: the promise rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
}

/** One job token. `release()` writes its byte back; calling it again does nothing. */
export interface Token {
  readonly byte: number;
  release(): void;
}

// Slots: the limiter, holds and sub-pools (limiter.ts, hold.ts, sub-pool.ts)

export interface LimiterOptions {
  /**
   * The most slots to use at once, the implicit one included. Default: as many
   * as the jobserver gives; without one, `client.fallbackSlots` (1 under make,
   * the CPU count outside it).
   */
  max?: number;
  /** A name for this limiter in traces. */
  label?: string;
}

export interface Slot {
  /** Gives the slot back (to the next queued task, or to the jobserver). Idempotent. */
  release(): void;
}

export interface Reservation {
  /** How many extra slots were taken. */
  readonly slots: number;
  release(): void;
}

/**
 * Where jobs get slots: the limiter, or a sub-pool of it. A job runs in one
 * slot; `run()` nested in a job that holds its slot runs inline in that slot
 * (see `currentHold`), so nesting is bounded by the outer job's slot and
 * never deadlocks.
 */
export interface SlotPool {
  /**
   * Runs `fn` in a slot, as the current hold of its async context. Called
   * where a hold holds its slot already (inside another `run()`, a governed
   * plugin callback), `fn` never waits on the pool: it takes a slot only if
   * one is free right now, else shares the enclosing job's slot with that
   * job's other nested jobs, one at a time in call order (the enclosing job
   * is awaiting them; a nested job that lends its slot lets the next one
   * run). So nesting is bounded and cannot deadlock. `signal` aborts the wait
   * for a slot.
   */
  run<T>(fn: () => T | Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
  /** Waits for a slot you release yourself. */
  acquire(options?: { signal?: AbortSignal }): Promise<Slot>;
  /**
   * Starts waiting for a slot for one job and returns its hold: await
   * `hold.ready`, run the job, `hold.end()`. While the job awaits nested work
   * of the same build, run that wait in `hold.lendDuring(wait)`: the slot is
   * given back for it and taken again after (also when the wait throws), so
   * nesting cannot deadlock even with one slot in total.
   */
  hold(options?: HoldOptions): Hold;
}

export interface Limiter extends SlotPool {
  readonly client: JobserverClient;
  /** Tasks running in slots now (reservations included). */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly pending: number;
  /** Slots usable now: those held plus the process's free ones (with a jobserver), else the fallback size. */
  readonly capacity: number;
  /** A jobserver governs this process; false means fallback, nothing to throttle. */
  readonly limited: boolean;
  /**
   * Takes up to `want` slots without waiting: the free implicit slot first,
   * then tokens. Size a worker pool to `Math.max(1, slots)`.
   */
  tryReserve(want: number): Reservation;
  /**
   * A sub-pool for the helpers of one job that holds a slot already (a
   * compiler run, a build): see {@link SubPool}.
   */
  subPool(options?: SubPoolOptions): SubPool;
  /** Gives back every token and process slot it holds; queued tasks are rejected. */
  close(): void;
}

export interface HoldOptions {
  /** Aborts a wait for a slot (the first one, or one taken back after a lend). Default: none. */
  signal?: AbortSignal;
}

export interface Hold {
  /**
   * Resolves once the hold has its first slot (or has ended first); rejects
   * if the wait was aborted by `signal`, and the hold is then ended.
   */
  readonly ready: Promise<void>;
  /** Holds a slot right now: false before `ready`, while lent out, and after `end()`. */
  readonly holding: boolean;
  /** `end()` was called (or the first wait failed). */
  readonly ended: boolean;
  /**
   * Runs `wait` with the slot lent out (released), and takes a slot again
   * before it returns or rethrows, so the caller goes on only in a slot.
   * Overlapping calls lend the slot once and take it back once, after the
   * last one. After `end()`, nothing is taken back.
   */
  lendDuring<T>(wait: () => T | Promise<T>): Promise<T>;
  /** Gives the slot back for good and stops any wait for one. Idempotent. */
  end(): void;
}

export interface SubPoolOptions {
  /** The pool starts with its base slot. Default: true. */
  base?: boolean;
}

/**
 * A base slot plus extra slots borrowed from the limiter while jobs wait for
 * one: the slot a job (a compiler run, an esbuild build) already holds, shared
 * by the work it fans out (module builds, plugin callbacks). At most
 * `capacity` of them run at once. The pool asks the limiter for one extra slot
 * at a time while jobs wait, and gives extras back the moment none waits, so
 * a job never waits on the jobserver while its base slot is free.
 */
export interface SubPool extends SlotPool {
  /** Slots in use now. */
  readonly active: number;
  /** Slots the pool has now: the base (if present) and the borrowed extras. */
  readonly capacity: number;
  /**
   * Extra slots for a worker pool next to the base slot, without waiting:
   * tokens only, never the process's implicit slot (the base or another job
   * of this process has it). Size the worker pool to `1 + slots`. Given back
   * at the latest by `close()`.
   */
  tryReserve(want: number): Reservation;
  /**
   * The owner is done: borrowed extras and reservations go back, and the pool
   * stops limiting (waiting and later jobs start at once, on the owner's
   * account), so no straggler is stranded. Idempotent.
   */
  close(): void;
}
