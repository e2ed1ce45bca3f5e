// Hook calls run in a child pool of the limiter that keeps its slots until
// the event loop turns, so a slot one hook call ends is there for the next.
//
// rollup 4 (and so vite 5 to 7) calls a module's hooks as its imports are
// found: dozens of short calls overlap, each waiting on a file or esbuild.
// Taken straight from the limiter, every call that found the implicit slot
// busy took a token and gave it back as it ended; the next call, a few
// microseconds later (median 0.02 ms, 90% within 0.15 ms, in a traced
// vite 5.4 build), took it again: 325 tokens read and written back in one
// make -j2 build of 40 modules, where vite 8 (rolldown, which calls the
// hooks one module at a time) takes 2. Here a slot no call uses goes back
// once the current turn of the event loop has run (setImmediate): nothing is
// held across an idle turn, and a build that goes quiet (a dev server
// between requests, a watcher between rebuilds) holds nothing.
import { childPool, type ChildPool } from '@jobslot/core/plugin';
import type { Limiter, Slot, SlotPool } from '@jobslot/core';

const WARM = new WeakMap<Limiter, SlotPool>();

/** The pool hook calls of this limiter run in (one per limiter, shared by every plugin instance using it). */
export function warmPool(limiter: Limiter): SlotPool {
  let pool = WARM.get(limiter);
  if (!pool) {
    pool = keepUntilTurn(childPool(limiter, { base: false }));
    WARM.set(limiter, pool);
  }
  return pool;
}

/**
 * `pool` keeps every slot while calls end or lend theirs (a hook awaiting
 * `this.load()`), and gives back those no call uses once per turn of the
 * event loop after a slot came back.
 */
function keepUntilTurn(pool: ChildPool): SlotPool {
  pool.keep(Infinity);
  let scheduled: NodeJS.Immediate | undefined;
  const settle = () => {
    scheduled = undefined;
    // keep(0) gives back what no call uses now (those running keep theirs), then keep again.
    pool.keep(0);
    pool.keep(Infinity);
  };
  // unref: a pending give-back never keeps the process alive (at exit every token goes back anyway).
  const cameBack = () => {
    scheduled ??= setImmediate(settle).unref();
  };
  const watched = (slot: Slot): Slot => ({
    release() {
      slot.release();
      cameBack();
    },
  });
  // Every slot of this pool a hold takes (run() and the holds' takes after a lend) comes through these.
  const held = pool as ChildPool & { tryAcquire(): Slot | undefined };
  const { acquire, tryAcquire } = held;
  Object.assign(held, {
    acquire: (options?: { signal?: AbortSignal }) => acquire.call(held, options).then(watched),
    tryAcquire: () => {
      const slot = tryAcquire.call(held);
      return slot && watched(slot);
    },
  });
  return pool;
}
