// The run rule: a slot's holder never waits on work that needs a slot from the
// same holder.
//
// Some jobs hold slots for a whole run whose work comes back to this process
// to be done: a vitest run holds a slot per test worker, and every module
// those workers import is transformed here, by the plugin hooks of the vite
// servers vitest starts. Were that work to wait for a slot, it would wait for
// the run's own slots, which come back only when the run ends: the workers
// would wait on the transforms, the transforms on the run, and the run on the
// workers, for ever (issue 18: vitest's project servers under make -j2).
//
// So while a run is held, no job in this process waits for a slot: it takes a
// free one if there is one, and otherwise runs at once on the run's account.
// The run already pays for the work it waits on, as a job does for the
// `run()` calls nested in it (hold.ts), and a sub-pool's owner for its
// stragglers once it closes (sub-pool.ts). The limiter asks `runHeld()`
// before it lets anything wait; this file is the only place the rule lives.
//
// What it costs: a process that holds a run does the run's work beside it
// without asking make; that work is what the run's workers wait on, so the
// slots it needs are theirs.
import { releaseOnce } from './once.js';
import { wakeLimiters } from './process-slots.js';
import { processState } from './state.js';
import type { Limiter, Reservation, Slot } from './types.js';

/**
 * Takes up to `want` slots without waiting, as `limiter.tryReserve()` does,
 * for a run whose work calls back into this process (test workers asking it to
 * transform modules). Until `release()`, no job in this process waits for a
 * slot: see the run rule above. Size the run's workers to `Math.max(1, slots)`.
 */
export function reserveForRun(limiter: Limiter, want: number): Reservation {
  const reservation = limiter.tryReserve(want);
  if (!limiter.limited) return reservation;
  const state = processState();
  state.heldRuns = (state.heldRuns ?? 0) + 1;
  // Jobs already queued may be work the run will wait on: they go now.
  wakeLimiters();
  return {
    slots: reservation.slots,
    release: releaseOnce(() => {
      state.heldRuns--;
      reservation.release();
    }),
  };
}

/**
 * The slot a job gets on a held run's account: none of its own, so nothing to give back, and
 * not counted as a slot in use (the trace shows the run's slots, which pay for it).
 */
export function slotOnRunsAccount(): Slot {
  return { release() {} };
}

/** A run is held in this process (see the run rule above): no job here may wait for a slot. */
export function runHeld(): boolean {
  return (processState().heldRuns ?? 0) > 0;
}
