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
//   (a job waiting is not a job running): core's `limiter.hold()` does that
//   part, with the lane-or-slot race below as where its slots come from;
// - a callback that runs a whole esbuild build (bundling a worker, say): that
//   build's setup runs in the callback's async context, sees the hold here and
//   runs in the callback's slot (see plugin.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Hold, Limiter, Slot } from '@jobslot/core';

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

/** A slot lent from a build's lane; giving it back frees the lane for the next callback. */
function laneSlot(lane: Lane): Slot {
  let given = false;
  return {
    release() {
      if (given) return;
      given = true;
      lane.give();
    },
  };
}

/**
 * Where a callback's hold gets a slot: its build's lane or a new slot of the
 * limiter, whichever comes first. The loser of the race is called off.
 */
function laneOrSlot(lane: Lane, limiter: Limiter): (signal: AbortSignal) => Promise<Slot> {
  return (signal) => {
    if (lane.tryTake()) return Promise.resolve(laneSlot(lane));
    return new Promise<Slot>((resolve, reject) => {
      const acquiring = new AbortController();
      // The hold no longer wants a slot: the limiter's wait rejects, which settles this.
      const onAbort = () => acquiring.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let settled = false;
      const settle = () => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
      };
      const stopWaiting = lane.wait(() => {
        if (settled || !lane.tryTake()) return false;
        settle();
        acquiring.abort();
        resolve(laneSlot(lane));
        return true;
      });
      limiter.acquire({ signal: acquiring.signal }).then(
        (slot) => {
          if (settled) return slot.release();
          settle();
          stopWaiting();
          resolve(slot);
        },
        (error: unknown) => {
          if (settled) return;
          settle();
          stopWaiting();
          reject(error);
        },
      );
    });
  };
}

/** Calls `fn` in a slot: inline in the current callback's, else its build's lane or a new one. */
export async function inSlot<T>(lane: Lane, limiter: Limiter, fn: () => T | Promise<T>): Promise<T> {
  if (!limiter.limited) return fn();
  // A governed callback calling another one directly: it is already in a slot.
  if (currentHold()) return fn();
  const hold = limiter.hold({ takeSlot: laneOrSlot(lane, limiter) });
  try {
    await hold.ready;
    return await holds.run(hold, fn);
  } finally {
    hold.end();
  }
}

/** `build.resolve()` for a governed plugin: the caller's slot is given back while esbuild resolves. */
export function resolveGivingBack<T>(resolve: () => Promise<T>): Promise<T> {
  const hold = holds.getStore();
  if (!hold || hold.ended) return resolve();
  return hold.lendDuring(resolve);
}
