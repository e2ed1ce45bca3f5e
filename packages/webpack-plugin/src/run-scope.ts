// What one compiler run holds: the slot the run itself occupies (a hold of
// core's limiter), and anything taken for it meanwhile (thread-loader
// reservations, module-build pools: children of the limiter). Everything goes
// back when the run ends, however it ends.
import type { Hold, Limiter, Reservation, SubPool } from '@jobslot/core';
import { releaseOnce } from '@jobslot/core/plugin';

export class RunScope {
  private hold: Hold | undefined;
  private readonly held = new Set<() => void>();
  /** Extra slots for pools next to the run's own slot: tokens only, never the implicit slot, which the run holds. */
  readonly extras: SubPool;

  constructor(readonly limiter: Limiter) {
    this.extras = limiter.subPool();
  }

  /**
   * Waits for the slot this run occupies. The first run in a process gets the
   * implicit slot at once; further compilers of a MultiCompiler wait for tokens,
   * so at most 1 + held compilers run at a time.
   */
  async begin(): Promise<void> {
    this.end();
    const hold = this.limiter.hold();
    this.hold = hold;
    // Ended (watcher closed, compiler shut down) while waiting: the hold resolves
    // without a slot and the run is torn down without one.
    await hold.ready;
  }

  /** Registers something to give back when the run ends; returns a function that gives it back now. */
  keep(release: () => void): () => void {
    const once = releaseOnce(() => {
      this.held.delete(once);
      release();
    });
    this.held.add(once);
    return once;
  }

  /**
   * Extra slots for a pool next to the run's own slot (tokens only, never the
   * implicit one, which the run holds), without waiting; given back at the
   * latest when the run ends.
   */
  reserve(want: number): Reservation {
    const reservation = this.extras.tryReserve(want);
    const release = this.keep(() => reservation.release());
    return { slots: reservation.slots, release };
  }

  /** Gives back everything this run holds and stops waiting for its slot. Idempotent. */
  end(): void {
    for (const release of [...this.held]) release();
    this.hold?.end();
    this.hold = undefined;
  }
}
