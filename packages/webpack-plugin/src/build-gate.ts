// A gate for module builds: at most `1 + extra` run at once. The 1 is the
// compiler's own slot (the run holds it); extra slots are taken from the
// limiter while builds wait, and given back as soon as no build needs them.
// Because the own slot is always there, the gate never waits on the
// jobserver to make progress.
import type { Limiter, Slot } from '@jobslot/core';

export class BuildGate {
  private running = 0;
  private readonly extra: Slot[] = [];
  private readonly queue: Array<() => void> = [];
  private pending: AbortController | undefined;
  private closed = false;

  constructor(private readonly limiter: Limiter) {}

  /** Builds running now (lent slots not counted). */
  get active(): number {
    return this.running;
  }

  /** Slots the gate has now: its own one and the extra ones. */
  get capacity(): number {
    return 1 + this.extra.length;
  }

  /** Calls `start` once a build may run: at once if a slot is free, else when one frees or a token comes. */
  enter(start: () => void): void {
    if (this.closed || this.running < this.capacity) {
      this.running++;
      start();
      return;
    }
    this.queue.push(start);
    this.grow();
  }

  /** A build ended. */
  leave(): void {
    this.running--;
    this.pump();
  }

  /**
   * A running build waits for another build (loadModule, importModule): it
   * lends its slot to the builds it waits for, so nesting cannot deadlock.
   */
  lend(): void {
    this.leave();
  }

  /** The nested build is done: the lender takes a slot back without waiting (it is mid-build). */
  reclaim(): void {
    this.running++;
  }

  /** Lets every waiting build through and gives back the extra slots. */
  close(): void {
    this.closed = true;
    this.pending?.abort();
    this.pending = undefined;
    for (const slot of this.extra.splice(0)) slot.release();
    for (const start of this.queue.splice(0)) {
      this.running++;
      start();
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.running < this.capacity) {
      this.running++;
      this.queue.shift()!();
    }
    if (this.queue.length > 0) {
      this.grow();
      return;
    }
    // Nobody waits: slots no build uses go back to make at once.
    this.pending?.abort();
    this.pending = undefined;
    while (this.extra.length > 0 && this.running < this.capacity) this.extra.pop()!.release();
  }

  /** Asks for one more slot (one request at a time: each arrival pumps and asks again if still needed). */
  private grow(): void {
    if (this.pending || this.closed) return;
    const pending = new AbortController();
    this.pending = pending;
    this.limiter.acquire({ signal: pending.signal }).then(
      (slot) => {
        if (this.pending === pending) this.pending = undefined;
        if (this.closed || pending.signal.aborted) {
          slot.release();
          return;
        }
        this.extra.push(slot);
        this.pump();
      },
      () => {
        // aborted: nobody needs it any more
        if (this.pending === pending) this.pending = undefined;
      },
    );
  }
}
