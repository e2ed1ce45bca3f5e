// What a build-tool plugin may do with a child pool beyond what users see
// (SubPool): the base slot and the floor come and go with the plugin's own
// events, and a job mid-way through may need a slot without waiting. Exported
// by @jobslot/core/plugin only; the pool itself is pool.ts's.
import type { Slot, SubPool, SubPoolOptions } from '../types.js';

export interface ChildPool extends SubPool {
  /** The base slot comes and goes with its owner (an esbuild build holds it from onStart to onEnd). */
  setBase(present: boolean): void;
  /**
   * A slot now, even beyond `capacity`: for a job that lent its slot while it
   * waited on nested work and must go on mid-way without waiting (webpack's
   * loader callbacks). Bounded by the jobs that lent.
   */
  claim(): Slot;
  /**
   * Borrows extras without waiting (tokens only, never the process's
   * implicit slot) until the pool has `target` slots, or as many as are free;
   * returns the pool's capacity. Extras beyond `keep()`'s floor go back when
   * no job uses them. `own`: slots for the owner's own run (a test run's
   * workers), taken as its jobs would be, the process's implicit slot first.
   */
  grow(target: number, own?: boolean): number;
  /**
   * Keeps at least `floor` slots (base included) even when no job uses them:
   * for threads sized to the slots held while work is in flight (esbuild's
   * Go service). 0 (the default) keeps only what jobs use.
   */
  keep(floor: number): void;
}

/** A child pool of `parent` (a limiter, or another pool), with the plugin's handles on it. */
export function childPool(parent: { subPool(options?: SubPoolOptions): SubPool }, options: SubPoolOptions = {}): ChildPool {
  // Every SubPool core makes is a Pool (pool.ts), which has these.
  return parent.subPool(options) as ChildPool;
}
