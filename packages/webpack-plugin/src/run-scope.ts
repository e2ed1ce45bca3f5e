// What one compiler run holds: the slot the run itself occupies, and anything
// taken for it meanwhile (thread-loader reservations, module-build tokens).
// Everything goes back when the run ends, however it ends.
import type { Limiter, Reservation, Slot, SubPool } from '@jobslot/core';
import { releaseOnce } from '@jobslot/core/plugin';

export class RunScope {
  private slot: Slot | undefined;
  private waiting: AbortController | undefined;
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
    const waiting = new AbortController();
    this.waiting = waiting;
    try {
      const slot = await this.limiter.acquire({ signal: waiting.signal });
      // Ended (watcher closed, compiler shut down) while the token was on its way.
      if (waiting.signal.aborted) slot.release();
      else this.slot = slot;
    } catch (error) {
      // Ended while waiting: the run is being torn down; let it finish without a slot.
      if (!waiting.signal.aborted) throw error;
    } finally {
      if (this.waiting === waiting) this.waiting = undefined;
    }
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
    this.waiting?.abort();
    this.waiting = undefined;
    for (const release of [...this.held]) release();
    this.slot?.release();
    this.slot = undefined;
  }
}
