// A sub-pool: a base slot plus extras borrowed from the limiter while jobs
// wait (see SubPool in types.ts). The one pool the plugins share: webpack's
// module builds (base: the compiler run's slot), esbuild's plugin callbacks
// (base: the build's slot, while it holds one).
//
// One request to the limiter at a time: each slot that arrives pumps the
// queue and asks again only if jobs still wait. Extras go back the moment no
// job waits for them: they are other people's CPU.
import { abortError } from './errors.js';
import { runInSlot, SlotHold } from './hold.js';
import { releaseOnce } from './once.js';
import type { Hold, HoldOptions, Limiter, Reservation, Slot, SubPool, SubPoolOptions } from './types.js';

interface Queued {
  start(): void;
}

class LimiterSubPool implements SubPool {
  private running = 0;
  private base: boolean;
  private readonly extra: Slot[] = [];
  private readonly queue: Queued[] = [];
  private readonly reservations = new Set<() => void>();
  private pending: AbortController | undefined;
  private closed = false;
  /** slots kept even when none is in use (see keep()) */
  private floor = 0;

  constructor(
    private readonly limiter: Limiter,
    private readonly reserveExtra: (want: number) => Reservation,
    options: SubPoolOptions,
  ) {
    this.base = options.base ?? true;
  }

  get active(): number {
    return this.running;
  }

  get capacity(): number {
    return (this.base ? 1 : 0) + this.extra.length;
  }

  setBase(present: boolean): void {
    this.base = present;
    this.pump();
  }

  acquire(options: { signal?: AbortSignal } = {}): Promise<Slot> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.closed || (this.queue.length === 0 && this.running < this.capacity)) return Promise.resolve(this.claim());
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(entry);
        if (at >= 0) this.queue.splice(at, 1);
        this.pump();
        reject(abortError(signal!));
      };
      const entry: Queued = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.slot());
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
      this.borrow();
    });
  }

  grow(target: number): number {
    while (!this.closed && this.capacity < target) {
      const reservation = this.reserveExtra(1);
      if (reservation.slots === 0) break;
      this.extra.push(reservation);
    }
    this.pump();
    return this.capacity;
  }

  keep(floor: number): void {
    this.floor = Math.max(0, floor);
    this.pump();
  }

  claim(): Slot {
    this.running++;
    return this.slot();
  }

  run<T>(fn: () => T | Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    return runInSlot(this, fn, options);
  }

  hold(options: HoldOptions = {}): Hold {
    return new SlotHold(this, options.signal);
  }

  tryReserve(want: number): Reservation {
    const reservation = this.reserveExtra(Math.max(0, want));
    const release = releaseOnce(() => {
      this.reservations.delete(release);
      reservation.release();
    });
    this.reservations.add(release);
    return { slots: reservation.slots, release };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending?.abort();
    this.pending = undefined;
    for (const slot of this.extra.splice(0)) slot.release();
    for (const release of [...this.reservations]) release();
    for (const entry of this.queue.splice(0)) {
      this.running++;
      entry.start();
    }
  }

  /** A slot counted in `running` (the caller counted it); gives it back once. */
  private slot(): Slot {
    return {
      release: releaseOnce(() => {
        this.running--;
        this.pump();
      }),
    };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.running < this.capacity) {
      this.running++;
      this.queue.shift()!.start();
    }
    if (this.queue.length > 0) {
      this.borrow();
      return;
    }
    // Nobody waits: slots no job uses go back to make at once.
    this.pending?.abort();
    this.pending = undefined;
    while (this.extra.length > 0 && this.running < this.capacity && this.capacity > this.floor) this.extra.pop()!.release();
  }

  /** Asks the limiter for one more slot (one request at a time: each arrival pumps and asks again if still needed). */
  private borrow(): void {
    if (this.pending || this.closed) return;
    const pending = new AbortController();
    this.pending = pending;
    this.limiter.acquire({ signal: pending.signal }).then(
      (slot) => {
        if (this.pending === pending) this.pending = undefined;
        if (this.closed || pending.signal.aborted) {
          slot.release();
          return;
        }
        this.extra.push(slot);
        this.pump();
      },
      () => {
        // aborted: nobody needs it any more
        if (this.pending === pending) this.pending = undefined;
      },
    );
  }
}

export function createSubPool(limiter: Limiter, reserveExtra: (want: number) => Reservation, options: SubPoolOptions = {}): SubPool {
  return new LimiterSubPool(limiter, reserveExtra, options);
}
