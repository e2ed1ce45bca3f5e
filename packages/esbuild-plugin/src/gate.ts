// Runs other plugins' onResolve/onLoad callbacks in slots.
//
// A build in flight holds one slot. Its callbacks may use that slot, one at a
// time (its "lane"): that is what keeps a build from deadlocking on itself
// when it holds the only slot there is. Callbacks beyond that one take slots
// of their own from the limiter. A callback waiting for a slot takes whichever
// comes first: its build's lane or a new slot.
//
// Two ways of nesting must not deadlock either:
// - a callback that awaits `build.resolve()` waits for other callbacks of the
//   same build, which esbuild calls in a fresh async context: the callback
//   gives its slot back while it waits there, and takes one again after
//   (a job waiting is not a job running);
// - a callback that runs a whole esbuild build (bundling a worker, say): that
//   build's setup runs in the callback's async context, sees the hold here and
//   runs in the callback's slot (see plugin.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Limiter, Slot } from '@jobslot/core';

/** The callback running in this async context, and what it holds. */
const KEY = Symbol.for('jobslot.esbuild-plugin.holds');
const holds: AsyncLocalStorage<Hold> = ((globalThis as Record<symbol, unknown>)[KEY] ??= new AsyncLocalStorage<Hold>()) as AsyncLocalStorage<Hold>;

/** The hold of the callback whose async context this is, if it holds a slot now. */
export function currentHold(): Hold | undefined {
  const hold = holds.getStore();
  return hold?.holding ? hold : undefined;
}

/**
 * Runs `fn` outside any callback's hold: async resources made in it (esbuild's
 * service and its pipes, whose events run every later callback) must not
 * carry a hold into callbacks that have nothing to do with it.
 */
export function outsideHolds<T>(fn: () => T): T {
  return holds.exit(fn);
}

/** One build's lane: its own slot, lent to one callback at a time while the build holds it. */
export class Lane {
  private open = false;
  private busy = false;
  private readonly waiters: Array<() => boolean> = [];

  /** The build got its slot: callbacks may use it. */
  openLane(): void {
    this.open = true;
    this.pump();
  }

  /** The build gave its slot back: callbacks take slots of their own. */
  closeLane(): void {
    this.open = false;
  }

  tryTake(): boolean {
    if (!this.open || this.busy) return false;
    this.busy = true;
    return true;
  }

  give(): void {
    this.busy = false;
    this.pump();
  }

  /** Calls `taker` when the lane may be free; `taker` returns true if it took it. */
  wait(taker: () => boolean): () => void {
    this.waiters.push(taker);
    return () => {
      const at = this.waiters.indexOf(taker);
      if (at >= 0) this.waiters.splice(at, 1);
    };
  }

  private pump(): void {
    while (this.open && !this.busy && this.waiters.length > 0) this.waiters.shift()!();
  }
}

/** One callback call's claim: its build's lane or a slot of the limiter. */
export class Hold {
  private lane: Lane | undefined;
  private slot: Slot | undefined;
  /** build.resolve() calls in progress; the claim is given back while > 0 */
  private away = 0;
  private regaining: Promise<void> | undefined;
  private done = false;

  constructor(
    private readonly build: Lane,
    private readonly limiter: Limiter,
  ) {}

  /** Holds a lane or slot now (false while given back for a build.resolve()). */
  get holding(): boolean {
    return !this.done && (this.lane !== undefined || this.slot !== undefined);
  }

  /** The callback has not ended. */
  get active(): boolean {
    return !this.done;
  }

  /** Waits for the build's lane or a new slot, whichever is first. */
  take(): Promise<void> {
    if (this.build.tryTake()) {
      this.lane = this.build;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const acquiring = new AbortController();
      let settled = false;
      const stopWaiting = this.build.wait(() => {
        if (settled || !this.build.tryTake()) return false;
        settled = true;
        acquiring.abort();
        this.lane = this.build;
        resolve();
        return true;
      });
      this.limiter.acquire({ signal: acquiring.signal }).then(
        (slot) => {
          if (settled || this.done) return slot.release();
          settled = true;
          stopWaiting();
          this.slot = slot;
          resolve();
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          stopWaiting();
          reject(error);
        },
      );
    });
  }

  private giveBack(): void {
    this.lane?.give();
    this.lane = undefined;
    this.slot?.release();
    this.slot = undefined;
  }

  /** Runs `wait` with the claim given back; takes one again before returning. */
  async giveBackDuring<T>(wait: () => Promise<T>): Promise<T> {
    if (this.away++ === 0) {
      await this.regaining;
      this.giveBack();
    }
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await wait() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (--this.away === 0 && !this.done) this.regaining = this.take();
    // The callback goes on only in a slot, whether the wait succeeded or not.
    await this.regaining;
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  end(): void {
    this.done = true;
    this.giveBack();
  }

  /** Runs `fn` with this hold as the current one. */
  run<T>(fn: () => T): T {
    return holds.run(this, fn);
  }
}

/** Calls `fn` in a slot: inline in the current callback's, else its build's lane or a new one. */
export async function inSlot<T>(lane: Lane, limiter: Limiter, fn: () => T | Promise<T>): Promise<T> {
  if (!limiter.limited) return fn();
  // A governed callback calling another one directly: it is already in a slot.
  if (currentHold()) return fn();
  const hold = new Hold(lane, limiter);
  await hold.take();
  try {
    return await hold.run(fn);
  } finally {
    hold.end();
  }
}

/** `build.resolve()` for a governed plugin: the caller's slot is given back while esbuild resolves. */
export function resolveGivingBack<T>(resolve: () => Promise<T>): Promise<T> {
  const hold = holds.getStore();
  if (!hold?.active) return resolve();
  return hold.giveBackDuring(resolve);
}
