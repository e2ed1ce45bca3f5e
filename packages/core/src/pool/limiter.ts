// The limiter: the root pool. Its parent is the process's slots: make's
// implicit slot first (unless a sibling beneath the same `jobslot run` owns
// it), then tokens it takes from the jobserver, waiting for one at a time
// while jobs wait. Tokens go back the moment no queued job needs them.
// Without a jobserver it falls back to `max` or the client's fallback size,
// so code using it behaves the same with or without make. Everything else
// (queueing, borrowing, nesting, giving back) is pool.ts's.
import type { JobClient } from '../client/client.js';
import { giveImplicitSlot, processSlots, takeImplicitSlot, waitForImplicitSlot } from '../client/implicit-slot.js';
import { abortError } from '../errors.js';
import { releaseOnce } from '../once.js';
import type { Limiter, LimiterOptions, Slot } from '../types.js';
import { Pool, type BorrowedSlot, type Parent } from './pool.js';
import { runHeld, serveWhenRunHeld, slotOnRunsAccount } from './run-reservation.js';

export type { Limiter, LimiterOptions, Reservation, Slot } from '../types.js';

/** The process's slots, as a root pool borrows them: the implicit slot, then the client's tokens. */
class ProcessSlots implements Parent {
  constructor(private readonly client: JobClient) {}

  /** make's and the other clients' readers are not seen from here: the root takes turns by time instead (pool.ts). */
  readonly pending = 0;

  get limited(): boolean {
    return this.client.connected;
  }

  private implicitSlot(): BorrowedSlot {
    return { base: true, release: releaseOnce(giveImplicitSlot) };
  }

  tryTake(): Slot | undefined {
    return takeImplicitSlot() ? this.implicitSlot() : this.tryExtra();
  }

  /** A token only: the implicit slot stays for the process's main work. */
  tryExtra(): Slot | undefined {
    return this.client.tryAcquire() ?? undefined;
  }

  /** The first of: the implicit slot given back, a token. */
  take(signal: AbortSignal): Promise<Slot | undefined> {
    const now = this.tryTake();
    if (now) return Promise.resolve(now);
    if (signal.aborted) return Promise.reject(abortError(signal));
    return new Promise<Slot | undefined>((resolve, reject) => {
      const tokenWait = new AbortController();
      let done = false;
      const finish = (slot: Slot | undefined, error?: unknown): boolean => {
        if (done) return false;
        done = true;
        stopWaiting();
        tokenWait.abort();
        signal.removeEventListener('abort', onAbort);
        if (error !== undefined) reject(error);
        else resolve(slot);
        return true;
      };
      const onAbort = () => finish(undefined, abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      const stopWaiting = waitForImplicitSlot(() => {
        // handed over: it is ours (giveImplicitSlot did not free it)
        return finish(this.implicitSlot());
      });
      this.client.acquire({ signal: tokenWait.signal }).then(
        (token) => {
          if (!finish(token ?? undefined)) token?.release();
        },
        () => {
          // aborted: the other way won, or nobody waits
        },
      );
    });
  }
}

/** Marks every limiter, whichever copy of this package (ESM, CJS) made it. */
const LIMITER = Symbol.for('jobslot.limiter');

/** Whether `value` is a limiter of @jobslot/core's (createLimiter(), sharedLimiter()): the one check every plugin's options use. */
export function isLimiter(value: unknown): value is Limiter {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[LIMITER] === true;
}

class RootPool extends Pool implements Limiter {
  constructor(
    readonly client: JobClient,
    options: LimiterOptions,
  ) {
    super(new ProcessSlots(client), { max: options.max, label: options.label, traced: true, afterClose: 'reject' });
    Object.defineProperty(this, LIMITER, { value: true });
    this.stopServing = serveWhenRunHeld(() => this.pump());
  }

  private readonly stopServing: () => void;

  /** The run rule (run-reservation.ts): while a run is held in this process, nothing waits. */
  protected override overflow(): Slot | undefined {
    return runHeld() ? slotOnRunsAccount() : undefined;
  }

  override close(): void {
    this.stopServing();
    super.close();
  }

  private get fallbackSize(): number {
    return Number.isFinite(this.max) ? this.max : this.client.fallbackSlots;
  }

  /** Slots usable now: those held plus the process's free ones (with a jobserver), else the fallback size. */
  override get capacity(): number {
    if (!this.limited) return this.fallbackSize;
    return Math.min(this.max, this.held + processSlots().free);
  }

  protected override get room(): number {
    return this.limited ? this.held : this.fallbackSize;
  }

  protected override get borrows(): boolean {
    return this.limited;
  }

  protected override get takesNow(): boolean {
    return true;
  }

  /** Its parent is the jobserver, shared with make's own jobs: it takes turns (pool.ts). */
  protected override get takesTurns(): boolean {
    return true;
  }

  /** An extra for a child pool: a token (never the implicit slot), counted here. */
  override tryExtra(): Slot | undefined {
    return this.limited ? this.takeNow(true) : { release() {} };
  }
}

export function createLimiter(client: JobClient, options: LimiterOptions = {}): Limiter {
  const { max } = options;
  if (max !== undefined && !(typeof max === 'number' && (Number.isInteger(max) || max === Infinity) && max >= 1)) {
    throw new TypeError(`createLimiter: max must be an integer from 1 up (or Infinity), got ${String(max)}`);
  }
  return new RootPool(client, options);
}
