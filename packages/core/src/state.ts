// The process's jobslot state, in one place.
//
// A process has one implicit slot, one set of exit handlers, one shared client
// and limiter, and one notion of "the hold this async context runs in",
// however many copies of these packages it loads (ESM and CJS, or two
// versions): so all of it lives behind one globalThis key, and tests can
// start over with resetProcessState().
import { AsyncLocalStorage } from 'node:async_hooks';
import type { JobClient } from './client.js';
import type { SlotHold } from './hold.js';
import type { Limiter } from './limiter.js';

export interface ProcessSlots {
  /** slots not in use by any limiter (0 or 1) */
  free: number;
  /** this process has make's implicit slot (false: a sibling beneath the same `jobslot run` has it) */
  implicit: boolean;
  /** limiters to poke when a slot comes back */
  wakers: Set<() => void>;
  /** for a sibling: tries to take the implicit slot over (its owner may have ended) */
  reclaim: (() => boolean) | undefined;
  /** the implicit slot has been contended for (once per process) */
  contended: boolean;
}

export interface ExitRegistry {
  releasers: Set<() => void>;
  /** run last, after the releasers, when the process is about to die of a signal */
  beforeSignalDeath: Set<() => void>;
  /** the process listeners are in place (they stay across resets) */
  installed: boolean;
  /** names a termination signal that has come but not yet reached JavaScript (pending-signal.ts) */
  pendingSignal: (() => NodeJS.Signals | undefined) | undefined;
  /** the process is giving everything back before it dies of a signal */
  dying: boolean;
}

interface ProcessState {
  client: JobClient | undefined;
  limiter: Limiter | undefined;
  slots: ProcessSlots;
  exit: ExitRegistry;
  /** the hold each async context runs in (see hold.ts) */
  holds: AsyncLocalStorage<SlotHold>;
  /** per-process records of the plugins (esbuild's services), by name */
  records: Map<string, unknown>;
  /** runs held by reserveForRun() now: while any is, no job in this process waits for a slot (run-reservation.ts) */
  heldRuns: number;
}

const KEY = Symbol.for('jobslot.state');

function freshSlots(): ProcessSlots {
  // One free slot: make counted this process when it started it (the implicit slot).
  return { free: 1, implicit: true, wakers: new Set(), reclaim: undefined, contended: false };
}

export function processState(): ProcessState {
  const g = globalThis as Record<symbol, ProcessState | undefined>;
  return (g[KEY] ??= {
    client: undefined,
    limiter: undefined,
    slots: freshSlots(),
    exit: { releasers: new Set(), beforeSignalDeath: new Set(), installed: false, pendingSignal: undefined, dying: false },
    holds: new AsyncLocalStorage(),
    records: new Map(),
    heldRuns: 0,
  });
}

/**
 * A per-process record of a plugin's (one per process whichever copy of the
 * plugin asks), made by `create` on first use.
 */
export function processRecord<T>(name: string, create: () => T): T {
  const { records } = processState();
  if (!records.has(name)) records.set(name, create());
  return records.get(name) as T;
}

/**
 * For tests: closes the shared limiter and client (their tokens go back) and
 * forgets the process slots and the plugins' records, so the next use starts
 * as a fresh process would. Exit handlers stay installed; those of clients
 * still open stay registered.
 */
export function resetProcessState(): void {
  const state = processState();
  state.limiter?.close();
  state.client?.close();
  state.limiter = undefined;
  state.client = undefined;
  state.slots = freshSlots();
  state.records.clear();
  state.heldRuns = 0;
}
