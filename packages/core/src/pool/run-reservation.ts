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
// `run()` calls nested in it, and a sub-pool's owner for its stragglers once
// it closes (pool.ts). The root pool (limiter.ts) asks `runHeld()` before it
// lets anything wait; this file is the only place the rule lives.
//
// What it costs: a process that holds a run does the run's work beside it
// without asking make; that work is what the run's workers wait on, so the
// slots it needs are theirs.
//
// The run's slots are a child pool of the limiter with a floor of what it took
// (`limiter.tryReserve`, pool.ts), as jest's are. Only the rule's flag lives
// here, in the registry (state.ts): the work the run waits on may queue in any
// limiter of the process, made by either copy of core (ESM, CJS).
import { releaseOnce } from '../once.js';
import { processRecord } from '../state.js';
import type { Limiter, Reservation, Slot } from '../types.js';

interface HeldRuns {
  /** runs held by reserveForRun() now */
  held: number;
  /** root pools (limiters) to serve their queues when a run is taken */
  pools: Set<() => void>;
}

/** The process's held runs: one count whichever copy of core (ESM, CJS) holds one. */
function heldRuns(): HeldRuns {
  return processRecord<HeldRuns>('held-runs', () => ({ held: 0, pools: new Set() }));
}

/**
 * Takes up to `want` slots without waiting, as `limiter.tryReserve()` does (a child pool with that floor),
 * for a run whose work calls back into this process (test workers asking it to
 * transform modules). Until `release()`, no job in this process waits for a
 * slot: see the run rule above. Size the run's workers to `Math.max(1, slots)`.
 */
export function reserveForRun(limiter: Limiter, want: number): Reservation {
  const reservation = limiter.tryReserve(want);
  if (!limiter.limited) return reservation;
  const runs = heldRuns();
  runs.held++;
  // Jobs already queued may be work the run will wait on: they go now.
  for (const serve of [...runs.pools]) serve();
  return {
    slots: reservation.slots,
    release: releaseOnce(() => {
      runs.held--;
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
  return heldRuns().held > 0;
}

/** A root pool serves its queue (`serve`) whenever a run is taken; returns a function that stops it. */
export function serveWhenRunHeld(serve: () => void): () => void {
  const { pools } = heldRuns();
  pools.add(serve);
  return () => pools.delete(serve);
}
