// The slots this process has without asking the jobserver: the implicit one
// (make counted this process when it started it) plus any a parent
// `jobslot run` granted. One pool per process, shared by every limiter and by
// every copy of this package (ESM and CJS), so two limiters never both count
// the implicit slot.

export interface ProcessSlots {
  /** slots not in use by any limiter */
  free: number;
  /** this process has make's implicit slot (false: a sibling under the same grant has it) */
  implicit: boolean;
  /** slots granted by a parent `jobslot run` (claimed through JOBSLOT_GRANT) */
  granted: number;
  /** limiters to poke when a slot comes back */
  wakers: Set<() => void>;
}

const KEY = Symbol.for('jobslot.process-slots');

export function processSlots(): ProcessSlots {
  const g = globalThis as Record<symbol, ProcessSlots | undefined>;
  return (g[KEY] ??= { free: 1, implicit: true, granted: 0, wakers: new Set() });
}

/** A sibling owns the grant: this process runs every job on a token of its own. */
export function dropImplicitSlot(): void {
  const pool = processSlots();
  if (!pool.implicit) return;
  pool.implicit = false;
  pool.free--;
}

/** Adds a claimed grant to the pool. */
export function addGrant(count: number): void {
  if (count <= 0) return;
  const pool = processSlots();
  pool.granted += count;
  pool.free += count;
  wake(pool);
}

/** Takes a free slot; with `grantedOnly`, only if one beyond the implicit slot is free. */
export function takeProcessSlot(grantedOnly = false): boolean {
  const pool = processSlots();
  if (pool.free <= (grantedOnly ? 1 : 0)) return false;
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
