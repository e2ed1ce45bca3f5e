// The slots this process has without asking the jobserver: the implicit one
// (make counted this process when it started it). One pool per process,
// shared by every limiter and by every copy of this package (ESM and CJS), so
// two limiters never both count the implicit slot.
import { processState, type ProcessSlots } from './state.js';

export type { ProcessSlots } from './state.js';

/** The process's pool of slots it has without asking the jobserver. */
export function processSlots(): ProcessSlots {
  return processState().slots;
}

/**
 * Contends once per process for the implicit slot of a pool shared with
 * siblings (see pool.ts): `lock()` says whether this process won, `retry()`
 * tries again later. A loser runs every job on a token until it wins.
 */
export function contendForImplicitSlot(lock: () => { won: boolean; retry: () => boolean }): void {
  const pool = processSlots();
  if (pool.contended) return;
  pool.contended = true;
  const { won, retry } = lock();
  if (won) return;
  pool.implicit = false;
  pool.free--;
  pool.reclaim = retry;
}

/**
 * A sibling that needs a slot: takes the implicit one over if its owner has
 * let go, and frees it in this process's pool. True if it did. The caller
 * takes it, or wakes the limiters with `wakeLimiters()`.
 */
export function reclaimImplicitSlot(): boolean {
  const pool = processSlots();
  if (pool.implicit || !pool.reclaim?.()) return false;
  pool.implicit = true;
  pool.reclaim = undefined;
  pool.free++;
  return true;
}

export function wakeLimiters(): void {
  wake(processSlots());
}

/** Takes a free slot; with `extraOnly`, none (the implicit slot is left to the process's main work). */
export function takeProcessSlot(extraOnly = false): boolean {
  const pool = processSlots();
  if (extraOnly || pool.free <= 0) return false;
  pool.free--;
  return true;
}

export function giveProcessSlot(): void {
  const pool = processSlots();
  pool.free++;
  wake(pool);
}

function wake(pool: ProcessSlots): void {
  for (const waker of [...pool.wakers]) waker();
}
