// The slots jest's workers run on: a child pool of the limiter whose floor is
// what the run keeps (slots above it go back, tokens first). Kept in the
// process state: jest loads this package twice, once from the config (ESM or
// CommonJS, as the config is) and once as a reporter, and both must see the same slots.
import type { Limiter } from '@jobslot/core';
import { childPool, processRecord, type ChildPool } from '@jobslot/core/plugin';

const held = () => processRecord<{ pool?: ChildPool }>('jest.slots', () => ({}));

/** Takes up to `want` slots now, without waiting, and holds them until keepSlots() lets them go; returns how many. */
export function takeSlots(limiter: Limiter, want: number): number {
  held().pool?.close(); // a config loaded twice in one process takes its slots once
  const pool = (held().pool = childPool(limiter, { base: false }));
  pool.keep(want);
  return pool.grow(want, true);
}

/** Gives back all but `keep` slots. */
export function keepSlots(keep: number): void {
  held().pool?.keep(keep);
}
