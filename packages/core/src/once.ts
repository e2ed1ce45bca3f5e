// "Give it back once": every release in jobslot (a slot, a reservation, a
// lease, a pin) may be called from several exit paths (the job's end, an
// abort, the run's end, the process's exit). The first call does the work;
// later ones do nothing.

/** `release`, made idempotent: the first call runs it, later calls do nothing. */
export function releaseOnce(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}
