// The pool: jobslot's one idea of slots, written once. Every place that
// shares job slots is a pool with
//
// - a parent it borrows slots from: the process's slots at the root (make's
//   implicit slot first, then the jobserver's tokens: limiter.ts), or another
//   pool (a sub-pool); or none (a hold's slot shared by its nested jobs);
// - an optional base slot it has without borrowing: the slot its owner
//   already holds (a build's, a compiler run's, a test run's, a hold's);
// - a floor: the slots it keeps while its owner runs even when no job uses
//   them (threads sized to them: esbuild's Go service, `jobslot run`'s
//   command's native pools).
//
// Jobs run in the pool's slots, at most `capacity` at once, and wait in one
// FIFO queue (wait-queue.ts) when all are in use. While jobs wait, the pool
// borrows one more slot from its parent at a time (each arrival serves the
// queue and asks again only if jobs still wait); when nobody waits, it gives
// back at once what is above its floor and unused: slots are other people's
// CPU. A token's path is pool -> parent pools -> the client -> its backend,
// and nothing calls back up: what comes back comes as a resolved promise.
//
// Borrowing without waiting (tryReserve, grow): extras for threads beside a
// slot already held. A child asks through its parents down to the root, which
// gives extras from tokens only, never the implicit slot, which the process's
// main work (the owner, or another job of this process) has or will want. A
// child's jobs borrow only through the parent's queue, never jumping it.
//
// Nesting (run() inside a job that holds its slot): decided here, once. The
// nested job never waits on the pool: it takes a slot only if one is free
// right now, else it shares the enclosing job's slot with that job's other
// nested jobs, one at a time in call order: that is a child pool of the
// enclosing hold, with its slot as the base and no parent. So nesting is
// bounded by the enclosing slot (-j3 with 8 nested jobs: at most 3 at once)
// and cannot deadlock, even with one slot in total. Lending (hold.ts): a job
// that awaits nested work gives its slot back for the wait and takes one
// again before it goes on, as make's own jobs do.
//
// Turns (fairness with make's own jobs): make writes a finished job's token
// back and reads again for its next job; a pool that handed the slot straight
// to its next queued job would never write it back, so every token make,
// cargo or gcc lost to it would be lost for good (head to head at make -j6,
// bench/fairness.mjs: jobslot 74-78 % of the token-seconds, make 22-26 %). So
// at the root, at a job's end, while jobs queue and the pool is already
// waiting for a token (the jobserver had none: others want them too), a token
// it has held TURN_MS or longer goes back, and the queue waits for the next
// one like anyone else: the waiting read that takes it (woken by the same
// write as make's blocking readers) races them fairly. Never the implicit
// slot (it is not make's to hand out), never below the floor, never a slot a
// job runs on: it is only ever a slot the job that ended left free, so no
// bound changes. Tokens held less than TURN_MS stay: many short jobs
// (esbuild's, webpack's) pay nothing; long ones pay one write and one read
// per token per TURN_MS. A child pool takes turns with whoever else waits in
// its parent's queue (a sibling pool, a job of the parent), at once: the slot
// a job left goes back and the pool queues behind them. Kept for its own next
// job, it starved them until the whole queue had started (sibling-pools.test.ts).
import { releaseOnce } from '../once.js';
import { trace } from '../trace.js';
import type { Hold, HoldOptions, Reservation, Slot, SubPool, SubPoolOptions } from '../types.js';
import type { ChildPool } from './child.js';
import { currentHoldOf, runInHold, SlotHold, type SlotSource } from './hold.js';
import { WaitQueue } from '../wait-queue.js';

/** What a pool borrows from: its parent pool, or the process's slots at the root. */
export interface Parent {
  /** Whether slots are limited at all (false: no jobserver, nothing to throttle). */
  readonly limited: boolean;
  /** Who waits for a slot of this parent now (a child pool's own borrowing included); 0 where it cannot tell (the jobserver). */
  readonly pending: number;
  /** A slot now, for a job, if one is to be had. */
  tryTake(): Slot | undefined;
  /** A slot now for extras beside a slot already held: never a base (at the root: a token, never the implicit slot). */
  tryExtra(): Slot | undefined;
  /** Waits for a slot; undefined if none will come this way (the jobserver went away: look again). */
  take(signal: AbortSignal): Promise<Slot | undefined>;
}

/** A borrowed slot the parent marks as its base: given back last. */
export interface BorrowedSlot extends Slot {
  readonly base?: boolean;
}

/** A token held this long goes back at the next job's end while others may want it (turns, above). */
export const TURN_MS = 100;

export interface PoolOptions {
  /** The pool has its base slot now. Default: false. */
  base?: boolean;
  /** The most slots at once, the base included. Default: no limit of its own. */
  max?: number;
  /** A name in traces; a pool with a label traces its slot events (the limiter does). */
  label?: string;
  traced?: boolean;
  /**
   * After close(): 'reject' (waiting and later jobs fail: the limiter), or
   * 'open' (they start at once, on the owner's account: a sub-pool whose owner
   * is done, so no straggler is stranded). Default: 'open'.
   */
  afterClose?: 'reject' | 'open';
}

export class Pool implements ChildPool, Parent {
  protected running = 0;
  /** Slots borrowed from the parent, the parent's base (the implicit slot) first. */
  protected readonly borrowed: BorrowedSlot[] = [];
  private readonly queue = new WaitQueue<Slot>();
  private readonly reservations = new Set<() => void>();
  /** When each borrowed slot came (turns). */
  private readonly since = new WeakMap<Slot, number>();
  private borrowing: AbortController | undefined;
  private hasBase: boolean;
  private floor = 0;
  protected readonly max: number;
  private readonly label: string | undefined;
  private readonly traced: boolean;
  private readonly afterClose: 'reject' | 'open';
  protected closed = false;

  constructor(
    protected readonly parent: Parent | undefined,
    options: PoolOptions = {},
  ) {
    this.hasBase = options.base ?? false;
    this.max = Math.max(1, options.max ?? Infinity);
    this.label = options.label;
    this.traced = options.traced ?? false;
    this.afterClose = options.afterClose ?? 'open';
  }

  get limited(): boolean {
    return this.parent?.limited ?? true;
  }

  /** Jobs (and reservations) running in slots now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.queue.length;
  }

  /** Slots the pool has now: the base (if present) and the borrowed ones. */
  get capacity(): number {
    return this.held;
  }

  protected get held(): number {
    return (this.hasBase ? 1 : 0) + this.borrowed.length;
  }

  /** Slots the pool may run on now without borrowing (the root without a jobserver: its fallback size). */
  protected get room(): number {
    return this.held;
  }

  /** A slot for a job when none is to be had, rather than a wait: the root's run rule (run-reservation.ts). */
  protected overflow(): Slot | undefined {
    return undefined;
  }

  /** Whether it may borrow from its parent now (the root: only while a jobserver governs it). */
  protected get borrows(): boolean {
    return this.parent !== undefined;
  }

  /**
   * Whether a job may borrow for itself without waiting. A child's jobs
   * borrow through the parent's queue (`take`), behind the parent's own
   * waiting jobs: a sub-pool never jumps the queue of the pool it lives in.
   * The root takes what the process has free at once (the limiter).
   */
  protected get takesNow(): boolean {
    return false;
  }

  setBase(present: boolean): void {
    this.hasBase = present;
    this.pump();
  }

  keep(floor: number): void {
    this.floor = Math.max(0, floor);
    this.pump();
  }

  /** Borrows without waiting until the pool has `target` slots (or none is free); `own`: as jobs take them, the process's own slot first. Returns the capacity. */
  grow(target: number, own = false): number {
    while (!this.closed && this.held < target && this.held < this.max) {
      const slot = own ? this.parent?.tryTake() : this.parent?.tryExtra();
      if (!slot) break;
      this.keepSlot(slot);
    }
    this.pump();
    return this.held;
  }

  /** A slot counted in `running`; gives it back once. */
  claim(): Slot {
    this.startOne();
    return { release: releaseOnce(() => this.endOne()) };
  }

  /** A slot now for a job, behind the jobs already waiting. */
  tryAcquire(): Slot | undefined {
    return this.queue.length > 0 || (this.closed && this.afterClose === 'reject') ? undefined : this.takeNow(false);
  }

  acquire(options: { signal?: AbortSignal } = {}): Promise<Slot> {
    const { signal } = options;
    if (this.closed && this.afterClose === 'reject') return Promise.reject(new Error('limiter closed'));
    const now = signal?.aborted ? undefined : this.closed ? this.claim() : (this.tryAcquire() ?? (this.queue.length === 0 ? this.overflow() : undefined));
    if (now) return Promise.resolve(now);
    const waiting = this.queue.wait({
      signal,
      onLeave: () => {
        this.note('slot-end');
        this.pump();
      },
    });
    this.pump();
    return waiting;
  }

  run<T>(fn: () => T | Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    // Nested in a job that holds its slot: a free slot now, else that job's slot, shared.
    const enclosing = currentHoldOf();
    let from: SlotSource = this;
    if (enclosing) {
      const free = this.tryAcquire();
      from = free ? { acquire: () => Promise.resolve(free) } : (enclosing.shared ??= new Pool(undefined, { base: true }));
    }
    return runInHold(new SlotHold(from, options.signal), fn);
  }

  hold(options: HoldOptions = {}): Hold {
    return new SlotHold(this, options.signal);
  }

  /** A child pool: its base is a slot its owner holds already; it borrows from this one while its jobs wait. */
  subPool(options: SubPoolOptions = {}): SubPool {
    return new Pool(this, { base: options.base ?? true });
  }

  /**
   * Up to `want` slots now, without waiting, held until `release()` (at the
   * latest until close()): a child pool with a floor of `want`. At the root,
   * slots as jobs take them, the process's free implicit slot first; in a
   * child, extras beside the base its owner holds (tokens only). Without a
   * jobserver, `want` (nothing to throttle).
   */
  tryReserve(want: number): Reservation {
    if (!this.limited) return { slots: Math.max(0, want), release() {} };
    const reserved = new Pool(this);
    reserved.keep(want);
    const slots = reserved.grow(want, this.takesNow);
    const release = releaseOnce(() => {
      this.reservations.delete(release);
      reserved.close();
    });
    this.reservations.add(release);
    return { slots, release };
  }

  /** A slot now, counted here, if one is to be had; `extra`: never the parent's base. Skips the queue: for holds beside jobs, not for jobs. */
  protected takeNow(extra: boolean): Slot | undefined {
    return this.hasRoom(extra) ? this.claim() : undefined;
  }

  // As a parent of child pools:

  /** A slot for a child's own run now (grow(n, true)), as tryReserve takes them here. */
  tryTake(): Slot | undefined {
    return this.takeNow(false);
  }

  /** Extras pass through a child to the root, which gives tokens only. */
  tryExtra(): Slot | undefined {
    return this.closed ? undefined : this.parent?.tryExtra();
  }

  take(signal: AbortSignal): Promise<Slot | undefined> {
    return this.acquire({ signal });
  }

  /**
   * The owner is done: borrowed slots and reservations go back. A limiter
   * rejects its waiting and later jobs; a sub-pool lets them through on the
   * owner's account. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.borrowing?.abort();
    this.borrowing = undefined;
    for (const release of [...this.reservations]) release();
    if (this.afterClose === 'reject') this.queue.rejectAll(new Error('limiter closed'));
    else this.queue.serveWhile(() => this.claim());
    // Everything borrowed goes back, also what jobs still run on: the owner is done.
    for (const slot of this.borrowed.splice(0).reverse()) slot.release();
  }

  /** One more slot to run on now, borrowing without waiting if need be; `extra`: never the parent's base. */
  protected hasRoom(extra: boolean): boolean {
    if (this.running < this.room) return true;
    if (!this.borrows || (!extra && !this.takesNow) || this.closed || this.held >= this.max) return false;
    const slot = extra ? this.parent!.tryExtra() : this.parent!.tryTake();
    if (!slot) return false;
    this.keepSlot(slot);
    return true;
  }

  private note(ev: 'slot-start' | 'slot-end'): void {
    if (this.traced) trace(ev, { active: this.running, pending: this.queue.length, label: this.label });
  }

  private startOne(): void {
    this.running++;
    this.note('slot-start');
  }

  private endOne(): void {
    this.running--;
    this.note('slot-end');
    this.takeTurn();
    this.pump();
  }

  /** Whether this pool takes turns with its parent's other readers (the root: the jobserver's). */
  protected get takesTurns(): boolean {
    return false;
  }

  private keepSlot(slot: BorrowedSlot): void {
    this.since.set(slot, performance.now());
    if (slot.base) this.borrowed.unshift(slot);
    else this.borrowed.push(slot);
  }

  /** A job ended while jobs queue here and others may want the slot it left: it goes back (turns, above). */
  private takeTurn(): void {
    if (this.closed || this.queue.length === 0 || !this.borrowing) return;
    if (this.running >= this.held || this.held - 1 < this.floor) return;
    if (!this.takesTurns) return this.yieldToSiblings();
    const now = performance.now();
    const i = this.borrowed.findIndex((slot) => !slot.base && now - (this.since.get(slot) ?? now) >= TURN_MS);
    if (i < 0) return;
    const [slot] = this.borrowed.splice(i, 1);
    slot!.release();
  }

  /** A child: someone besides this pool's own borrowing waits in the parent's queue: the slot goes to them, and this pool queues again behind them. */
  private yieldToSiblings(): void {
    const last = this.borrowed.at(-1);
    if (!last || last.base || this.parent!.pending <= 1) return;
    // Out of the parent's queue first, so the slot goes to whoever waited there, not back to us.
    this.borrowing!.abort();
    this.borrowing = undefined;
    this.borrowed.pop()!.release();
    this.borrow();
  }

  /** Serves the queue; borrows (one wait at a time) while jobs still wait; gives back what nobody needs. */
  protected pump(): void {
    if (this.closed && this.afterClose === 'open') {
      this.queue.serveWhile(() => this.claim());
    }
    this.queue.serveWhile(() => (this.hasRoom(false) ? this.claim() : this.overflow()));
    if (this.queue.length > 0) return this.borrow();
    // Nobody waits: slots no job uses go back at once, the parent's base last.
    this.borrowing?.abort();
    this.borrowing = undefined;
    this.giveBack(this.floor);
  }

  private giveBack(floor: number): void {
    while (this.borrowed.length > 0 && this.running < this.held && this.held > floor) this.borrowed.pop()!.release();
  }

  /** Waits for one more slot from the parent; each arrival serves the queue and asks again if jobs still wait. */
  private borrow(): void {
    if (this.borrowing || this.closed || !this.borrows || this.held >= this.max) return;
    const borrowing = new AbortController();
    this.borrowing = borrowing;
    this.parent!.take(borrowing.signal).then(
      (slot) => {
        if (this.borrowing === borrowing) this.borrowing = undefined;
        if (slot && (this.closed || borrowing.signal.aborted)) return slot.release();
        if (slot) this.keepSlot(slot);
        this.pump();
      },
      () => {
        // aborted: nobody needs it any more
        if (this.borrowing === borrowing) this.borrowing = undefined;
      },
    );
  }
}
