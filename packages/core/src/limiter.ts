// The limiter: runs tasks in slots. A process may run 1 + held tasks at once:
// the implicit slot first (unless a sibling beneath the same `jobslot run`
// owns it), then tokens it waits for from the jobserver. Tokens go back the moment no queued task needs
// them. Without a jobserver it falls back to `max` or the machine's
// parallelism, so code using it behaves the same with or without make.
import type { JobClient } from './client.js';
import { abortError } from './errors.js';
import { runInSlot, SlotHold } from './hold.js';
import { releaseOnce } from './once.js';
import { runHeld, slotOnRunsAccount } from './run-reservation.js';
import { giveProcessSlot, processSlots, reclaimImplicitSlot, takeProcessSlot } from './process-slots.js';
import { createSubPool } from './sub-pool.js';
import { trace } from './trace.js';
import type { Hold, HoldOptions, Limiter, LimiterOptions, Reservation, Slot, SubPool, SubPoolOptions, Token } from './types.js';

export type { Limiter, LimiterOptions, Reservation, Slot } from './types.js';

interface Queued {
  start(slot: Slot): void;
  fail(error: unknown): void;
}

class SlotLimiter implements Limiter {
  private readonly queue: Queued[] = [];
  private readonly tokens: Token[] = [];
  private processHeld = 0;
  private running = 0;
  private tokenWait: AbortController | undefined;
  private readonly max: number;
  private readonly label: string | undefined;
  private readonly waker = () => this.pump();
  private closed = false;

  constructor(
    readonly client: JobClient,
    options: LimiterOptions,
  ) {
    this.max = Math.max(1, options.max ?? Infinity);
    this.label = options.label;
    processSlots().wakers.add(this.waker);
  }

  get limited(): boolean {
    return this.client.connected;
  }

  private get mayTakeTokens(): boolean {
    return this.client.connected;
  }

  private get fallbackSize(): number {
    return Number.isFinite(this.max) ? this.max : this.client.fallbackSlots;
  }

  private get heldSlots(): number {
    return this.processHeld + this.tokens.length;
  }

  get active(): number {
    return this.running;
  }

  get pending(): number {
    return this.queue.length;
  }

  get capacity(): number {
    if (!this.limited) return this.fallbackSize;
    return Math.min(this.max, this.heldSlots + processSlots().free);
  }

  /** One more slot without waiting, if any is to be had. */
  private trySlot(extraOnly = false): boolean {
    if (!this.limited) return this.running < this.fallbackSize;
    if (this.running < this.heldSlots) return true;
    if (this.heldSlots >= this.max) return false;
    if (takeProcessSlot(extraOnly) || (!extraOnly && reclaimImplicitSlot() && takeProcessSlot())) {
      this.processHeld++;
      return true;
    }
    if (this.mayTakeTokens) {
      const token = this.client.tryAcquire();
      if (token) {
        this.tokens.push(token);
        return true;
      }
    }
    return false;
  }

  private note(ev: 'slot-start' | 'slot-end'): void {
    trace(ev, { active: this.running, pending: this.queue.length, label: this.label });
  }

  private startOne(): void {
    this.running++;
    this.note('slot-start');
  }

  /** A slot trySlot() just found, now in use. */
  private takeSlot(): Slot {
    this.startOne();
    return { release: releaseOnce(() => this.endOne()) };
  }

  private endOne(): void {
    this.running--;
    this.note('slot-end');
    this.pump();
    this.shrink();
  }

  /** Gives back what no running or queued task needs: tokens first, they are other people's CPU. */
  private shrink(): void {
    if (this.queue.length > 0 && !this.closed) return;
    while (this.heldSlots > this.running) {
      const token = this.tokens.pop();
      if (token) token.release();
      else {
        this.processHeld--;
        giveProcessSlot();
      }
    }
    if (this.queue.length === 0) {
      this.tokenWait?.abort();
      this.tokenWait = undefined;
    }
  }

  private pump(): void {
    while (this.queue.length > 0) {
      if (this.trySlot()) this.queue.shift()!.start(this.takeSlot());
      // The run rule (run-reservation.ts): while a run is held here, nothing waits.
      else if (runHeld()) this.queue.shift()!.start(slotOnRunsAccount());
      else break;
    }
    if (this.queue.length > 0 && this.mayTakeTokens && this.heldSlots < this.max && !this.tokenWait && !this.closed) {
      const wait = new AbortController();
      this.tokenWait = wait;
      this.client.acquire({ signal: wait.signal }).then(
        (token) => {
          if (this.tokenWait === wait) this.tokenWait = undefined;
          if (token) {
            this.tokens.push(token);
            this.pump();
            this.shrink();
          } else if (this.client.connected) {
            this.pump();
          }
        },
        () => {
          if (this.tokenWait === wait) this.tokenWait = undefined;
        },
      );
    }
  }

  /** A slot if one is free right now (and nobody queued ahead), else undefined: for nested run(). */
  tryAcquire(): Slot | undefined {
    if (this.closed || this.queue.length > 0 || !this.trySlot()) return undefined;
    return this.takeSlot();
  }

  acquire(options: { signal?: AbortSignal } = {}): Promise<Slot> {
    const { signal } = options;
    if (this.closed) return Promise.reject(new Error('limiter closed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.queue.length === 0 && this.trySlot()) return Promise.resolve(this.takeSlot());
    // The run rule (run-reservation.ts): while a run is held here, nothing waits.
    if (this.queue.length === 0 && runHeld()) return Promise.resolve(slotOnRunsAccount());
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const index = this.queue.indexOf(entry);
        if (index >= 0) this.queue.splice(index, 1);
        this.note('slot-end');
        this.shrink();
        reject(abortError(signal!));
      };
      const entry: Queued = {
        start: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
      this.pump();
    });
  }

  run<T>(fn: () => T | Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    return runInSlot(this, fn, options);
  }

  tryReserve(want: number): Reservation {
    return this.reserve(want, false);
  }

  /** Up to `want` slots now; `extraOnly`: tokens only, the implicit slot left to other jobs of this process. */
  private reserve(want: number, extraOnly: boolean): Reservation {
    if (!this.limited) {
      // Nothing governs this process: leave pools as they would be.
      return { slots: Math.max(0, want), release() {} };
    }
    let slots = 0;
    while (slots < want && this.trySlot(extraOnly)) {
      this.startOne();
      slots++;
    }
    return { slots, release: releaseOnce(() => {
      for (let i = 0; i < slots; i++) this.endOne();
    }) };
  }

  hold(options: HoldOptions = {}): Hold {
    return new SlotHold(this, options.signal);
  }

  subPool(options: SubPoolOptions = {}): SubPool {
    return createSubPool(this, (want) => this.reserve(want, true), options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    processSlots().wakers.delete(this.waker);
    for (const entry of this.queue.splice(0)) entry.fail(new Error('limiter closed'));
    this.tokenWait?.abort();
    this.tokenWait = undefined;
    for (const token of this.tokens.splice(0)) token.release();
    for (; this.processHeld > 0; this.processHeld--) giveProcessSlot();
  }
}

export function createLimiter(client: JobClient, options: LimiterOptions = {}): Limiter {
  const { max } = options;
  if (max !== undefined && !(typeof max === 'number' && (Number.isInteger(max) || max === Infinity) && max >= 1)) {
    throw new TypeError(`createLimiter: max must be an integer from 1 up (or Infinity), got ${String(max)}`);
  }
  return new SlotLimiter(client, options);
}
