// The slots jest's workers run on, one reservation per slot so that some can
// go back while the rest stay held. Kept in the process state (@jobslot/core's
// per-process records): jest loads this package twice, once from the config
// (ESM or CommonJS, as the config is) and once as a reporter, and both must
// see the same slots.
import type { Reservation } from '@jobslot/core';
import { processRecord } from '@jobslot/core/plugin';

/** The process's held slots for jest, the implicit one first. */
export function heldSlots(): Reservation[] {
  return processRecord<Reservation[]>('jest.slots', () => []);
}

/** Gives back all but `keep` slots: tokens first (they were taken last), the process's own slot last. */
export function keepSlots(keep: number): void {
  const held = heldSlots();
  while (held.length > Math.max(0, keep)) held.pop()!.release();
}
