// The limiter: runs tasks in slots. A process may run 1 + held tasks at once:
// the implicit slot first (unless a sibling beneath the same `jobslot run`
// owns it), then tokens it waits for from the jobserver. Tokens go back the moment no queued task needs
// them. Without a jobserver it falls back to `max` or the machine's
// parallelism, so code using it behaves the same with or without make.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { JobClient, Token } from './client.js';
import { abortError } from './errors.js';
import { SlotHold, type Hold, type HoldOptions } from './hold.js';
import { giveProcessSlot, processSlots, reclaimImplicitSlot, takeProcessSlot } from './process-slots.js';
import { trace } from './trace.js';

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

export interface Limiter {
  readonly client: JobClient;
  /** Tasks running in slots now (reservations included). */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly pending: number;
  /** Slots usable now: those held plus the process's free ones (with a jobserver), else the fallback size. */
  readonly capacity: number;
  /** A jobserver governs this process; false means fallback, nothing to throttle. */
  readonly limited: boolean;
  /**
   * Runs `fn` in a slot. Called from inside a task this limiter runs, `fn`
   * takes a slot only if one is free right now, else shares the enclosing
   * task's slot with its other nested tasks, one at a time in call order (so
   * nesting is bounded and cannot deadlock; a nested task must not wait for a
   * sibling started after it).
   */
  run<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Waits for a slot you release yourself. */
  acquire(options?: { signal?: AbortSignal }): Promise<Slot>;
  /**
   * Takes up to `want` slots without waiting: the free implicit slot first,
   * then tokens. Size a worker pool to `Math.max(1, slots)`. With
   * `extraOnly`, only tokens are taken, leaving the implicit slot to other
   * users in this process.
   */
  tryReserve(want: number, options?: { extraOnly?: boolean }): Reservation;
  /**
   * Starts waiting for a slot for one job and returns its hold: await
   * `hold.ready`, run the job, `hold.end()`. While the job awaits nested work
   * of the same build, run that wait in `hold.lendDuring(wait)`: the slot is
   * given back for it and taken again after (also when the wait throws), so
   * nesting cannot deadlock even with one slot in total.
   */
  hold(options?: HoldOptions): Hold;
  /** Gives back every token and process slot it holds; queued tasks are rejected. */
  close(): void;
}

interface Queued {
  start(): void;
  fail(error: unknown): void;
}

class SlotLimiter implements Limiter {
  /** The slot the current task runs in, as seen by tasks it starts with run(). */
  private readonly context = new AsyncLocalStorage<Lane>();
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
    while (this.queue.length > 0 && this.trySlot()) {
      const next = this.queue.shift()!;
      this.startOne();
      next.start();
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

  /** The handle of a slot already started (startOne). */
  private slotFor(): Slot {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.endOne();
      },
    };
  }

  acquire(options: { signal?: AbortSignal } = {}): Promise<Slot> {
    const { signal } = options;
    if (this.closed) return Promise.reject(new Error('limiter closed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const makeSlot = () => this.slotFor();
    if (this.queue.length === 0 && this.trySlot()) {
      this.startOne();
      return Promise.resolve(makeSlot());
    }
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const index = this.queue.indexOf(entry);
        if (index >= 0) this.queue.splice(index, 1);
        this.note('slot-end');
        this.shrink();
        reject(abortError(signal!));
      };
      const entry: Queued = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(makeSlot());
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

  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const lane = this.context.getStore();
    // A task already in a slot of this limiter: a slot free right now, else
    // the enclosing task's own slot, which its nested tasks share one at a
    // time (it waits on them meanwhile). Never a wait for a new slot: with
    // every slot held by tasks awaiting nested ones, that would deadlock.
    let slot: Slot;
    if (!lane) slot = await this.acquire();
    else if (this.queue.length === 0 && !this.closed && this.trySlot()) {
      this.startOne();
      slot = this.slotFor();
    } else return lane.enqueue(async () => this.context.run(new Lane(), fn));
    try {
      return await this.context.run(new Lane(), fn);
    } finally {
      slot.release();
    }
  }

  tryReserve(want: number, options: { extraOnly?: boolean } = {}): Reservation {
    let slots = 0;
    if (!this.limited) {
      // Nothing governs this process: leave pools as they would be.
      return { slots: Math.max(0, want), release() {} };
    }
    while (slots < want && this.trySlot(options.extraOnly)) {
      this.startOne();
      slots++;
    }
    let released = false;
    return {
      slots,
      release: () => {
        if (released) return;
        released = true;
        for (let i = 0; i < slots; i++) this.endOne();
      },
    };
  }

  hold(options: HoldOptions = {}): Hold {
    const takeSlot = options.takeSlot ?? ((signal: AbortSignal) => this.acquire({ signal }));
    return new SlotHold(takeSlot, options.signal);
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

/** A running task's slot, lent to the tasks it runs nested, one at a time, in order. */
class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export function createLimiter(client: JobClient, options: LimiterOptions = {}): Limiter {
  const { max } = options;
  if (max !== undefined && !(typeof max === 'number' && (Number.isInteger(max) || max === Infinity) && max >= 1)) {
    throw new TypeError(`createLimiter: max must be an integer from 1 up (or Infinity), got ${String(max)}`);
  }
  return new SlotLimiter(client, options);
}
