// make's implicit slot: the one job this process may run without a token
// (make counted it when it started the process). One per process, shared by
// every limiter and by every copy of this package (ESM and CJS), so two
// limiters never both count it: its record lives in the registry.
//
// Beneath a `jobslot run` with no jobserver-aware runner in between, sibling
// processes share one implicit slot (see posix/pool-hint.ts): a loser of the
// contention runs every job on a token until it takes the slot over.
//
// A slot given back goes straight to the oldest waiter (a root pool waiting
// for a slot), else it is free: a hand-off, not a wake-up, so nothing calls
// back up into the pools.
import { processRecord } from '../state.js';

export interface ImplicitSlotRecord {
  /** slots not in use by any pool (0 or 1) */
  free: number;
  /** this process has make's implicit slot (false: a sibling beneath the same `jobslot run` has it) */
  implicit: boolean;
  /** for a sibling: tries to take the implicit slot over (its owner may have ended) */
  reclaim: (() => boolean) | undefined;
  /** the implicit slot has been contended for (once per process) */
  contended: boolean;
  /** pools waiting for the slot, oldest first: each takes it (true) or declines it (false) */
  waiting: Set<() => boolean>;
}

/** The process's record of its implicit slot. */
export function processSlots(): ImplicitSlotRecord {
  // One free slot: make counted this process when it started it.
  return processRecord<ImplicitSlotRecord>('implicit-slot', () => ({ free: 1, implicit: true, reclaim: undefined, contended: false, waiting: new Set() }));
}

/**
 * Contends once per process for the implicit slot of a pool shared with
 * siblings: `lock()` says whether this process won, `retry()` tries again
 * later. A loser runs every job on a token until it wins.
 */
export function contendForImplicitSlot(lock: () => { won: boolean; retry: () => boolean }): void {
  const slots = processSlots();
  if (slots.contended) return;
  slots.contended = true;
  const { won, retry } = lock();
  if (won) return;
  slots.implicit = false;
  slots.free--;
  slots.reclaim = retry;
}

/**
 * A sibling that needs a slot: takes the implicit one over if its owner has
 * let go, and gives it to whoever waits for it (or frees it). True if it did.
 */
export function reclaimImplicitSlot(handOn = true): boolean {
  const slots = processSlots();
  if (slots.implicit || !slots.reclaim?.()) return false;
  slots.implicit = true;
  slots.reclaim = undefined;
  if (handOn) giveImplicitSlot();
  else slots.free++;
  return true;
}

/** Takes the implicit slot if it is free now (a sibling takes it over first if it can). */
export function takeImplicitSlot(): boolean {
  const slots = processSlots();
  if (slots.free <= 0 && !reclaimImplicitSlot(false)) return false;
  slots.free--;
  return true;
}

/** Gives the implicit slot back: to the oldest waiter that takes it, else it is free. */
export function giveImplicitSlot(): void {
  const slots = processSlots();
  for (const take of [...slots.waiting]) {
    slots.waiting.delete(take);
    if (take()) return;
  }
  slots.free++;
}

/** Waits for the implicit slot to be given back: `take` is called with it. Returns a function that stops waiting. */
export function waitForImplicitSlot(take: () => boolean): () => void {
  const { waiting } = processSlots();
  waiting.add(take);
  return () => waiting.delete(take);
}
