// Hook calls that end while nothing in the process waits for a slot leave it
// with the limiter until the event loop turns, so it is there for the next.
//
// rollup 4 (and so vite 5 to 7) calls a module's hooks as its imports are
// found: dozens of short calls overlap, each waiting on a file or esbuild.
// Taken straight from the limiter, every call that found the implicit slot
// busy took a token and gave it back as it ended; the next call, a few
// microseconds later (median 0.02 ms, 90% within 0.15 ms, in a traced
// vite 5.4 build), took it again: 325 tokens read and written back in one
// make -j2 build of 40 modules, where vite 8 (rolldown, which calls the
// hooks one module at a time) takes 2. So as a call ends with nobody queued,
// the limiter's floor goes up (it keeps what it holds), and once the current
// turn of the event loop has run (setImmediate) it comes down again and
// whatever no call uses goes back: nothing is held across an idle turn, and a
// build that goes quiet (a dev server between requests, a watcher between
// rebuilds) holds nothing. A call that ends while others queue leaves the
// floor down: the limiter serves its queue (and takes its turns with make's
// jobs) exactly as before.
import type { Limiter, SlotPool } from '@jobslot/core';

/** The limiter's floor (pool.ts: slots it keeps while no job uses them). */
interface Keeps {
  keep(floor: number): void;
}

const WARM = new WeakMap<Limiter, SlotPool['run']>();

/** limiter.run, with slots kept until the event loop turns when a call ends and none waits (one per limiter). */
export function warmRun(limiter: Limiter): SlotPool['run'] {
  let run = WARM.get(limiter);
  if (!run) {
    run = keepUntilTurn(limiter);
    WARM.set(limiter, run);
  }
  return run;
}

function keepUntilTurn(limiter: Limiter): SlotPool['run'] {
  const pool = limiter as Limiter & Partial<Keeps>;
  // Every limiter of core's is a pool with a floor; anything else runs as it is.
  if (typeof pool.keep !== 'function') return (fn, options) => limiter.run(fn, options);
  const keep = (floor: number) => pool.keep!(floor);
  let scheduled: NodeJS.Immediate | undefined;
  const settle = () => {
    scheduled = undefined;
    keep(0);
  };
  const ending = () => {
    // Set just before the call's slot goes back (the hold ends right after fn returns).
    keep(limiter.pending === 0 ? Infinity : 0);
    // unref: a pending give-back never keeps the process alive (at exit every token goes back anyway).
    scheduled ??= setImmediate(settle).unref();
  };
  return (fn, options) =>
    limiter.run(async () => {
      try {
        return await fn();
      } finally {
        ending();
      }
    }, options);
}
