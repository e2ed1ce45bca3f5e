// "Give it back once": every release in jobslot (a slot, a reservation, a
// lease, a pin) may be called from several exit paths (the job's end, an
// abort, the run's end, the process's exit). The first call does the work;
// later ones do nothing.
import { processRecord } from './state.js';

/** `release`, made idempotent: the first call runs it, later calls do nothing. */
export function releaseOnce(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}

/**
 * True the first time a process asks about `key`, false after: for advice
 * said once per process, whichever copy of a plugin (ESM, CJS) or which of
 * its instances asks.
 */
export function oncePerProcess(key: string): boolean {
  const said = processRecord('once', () => new Set<string>());
  if (said.has(key)) return false;
  said.add(key);
  return true;
}
