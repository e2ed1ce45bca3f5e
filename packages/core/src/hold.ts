// A hold: one job's claim on a slot, which it lends out while it waits on
// nested work and takes back before it goes on.
//
// A job (a plugin hook, a loader) that awaits other jobs of the same build
// (`this.load()`, `build.resolve()`, a nested build) must not sit on its slot
// meanwhile: with every slot held by such waiters, the jobs they wait for
// queue forever. So the slot goes back for the wait and a slot is taken again
// before the job continues, as make's own jobs do: a job waiting is not a job
// running. With one slot in total this is what lets nesting finish at all.
import type { Slot } from './limiter.js';

export interface HoldOptions {
  /** Aborts a wait for a slot (the first one, or one taken back after a lend). Default: none. */
  signal?: AbortSignal;
  /**
   * Where the hold gets a slot from; the hold aborts `signal` when it no
   * longer wants one (it ended). Default: the limiter's `acquire`. A plugin
   * can pass its own source, e.g. "a slot its build already holds, else the
   * limiter's".
   */
  takeSlot?: (signal: AbortSignal) => Promise<Slot>;
}

export interface Hold {
  /**
   * Resolves once the hold has its first slot (or has ended first); rejects
   * if the wait was aborted by `signal`, and the hold is then ended.
   */
  readonly ready: Promise<void>;
  /** Holds a slot right now: false before `ready`, while lent out, and after `end()`. */
  readonly holding: boolean;
  /** `end()` was called (or the first wait failed). */
  readonly ended: boolean;
  /**
   * Runs `wait` with the slot lent out (released), and takes a slot again
   * before it returns or rethrows, so the caller goes on only in a slot.
   * Overlapping calls lend the slot once and take it back once, after the
   * last one. After `end()`, nothing is taken back.
   */
  lendDuring<T>(wait: () => T | Promise<T>): Promise<T>;
  /** Gives the slot back for good and stops any wait for one. Idempotent. */
  end(): void;
}

export class SlotHold implements Hold {
  readonly ready: Promise<void>;
  private slot: Slot | undefined;
  /** lendDuring() calls in progress; the slot is lent out while > 0 */
  private lent = 0;
  /** the latest take; a lend waits for it so it never lends a slot still coming */
  private taking: Promise<void>;
  private taker: AbortController | undefined;
  private done = false;

  constructor(
    private readonly takeSlot: (signal: AbortSignal) => Promise<Slot>,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.taking = this.take();
    this.ready = this.taking.catch((error: unknown) => {
      this.end();
      throw error;
    });
  }

  get holding(): boolean {
    return !this.done && this.slot !== undefined;
  }

  get ended(): boolean {
    return this.done;
  }

  /** Takes a slot; resolves without one if the hold ends meanwhile, rejects if `signal` aborts. */
  private async take(): Promise<void> {
    const taker = new AbortController();
    this.taker = taker;
    const outer = this.signal;
    const onAbort = () => taker.abort(outer!.reason);
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    try {
      const slot = await this.takeSlot(taker.signal);
      // The job may have ended while we waited (it did not await a lend it started).
      if (this.done) slot.release();
      else this.slot = slot;
    } catch (error) {
      // Ended meanwhile: nobody wants the slot, and that is no error.
      if (!this.done) throw error;
    } finally {
      outer?.removeEventListener('abort', onAbort);
      if (this.taker === taker) this.taker = undefined;
    }
  }

  private giveBack(): void {
    this.slot?.release();
    this.slot = undefined;
  }

  async lendDuring<T>(wait: () => T | Promise<T>): Promise<T> {
    if (this.lent++ === 0) {
      await this.taking;
      this.giveBack();
    }
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await wait() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (--this.lent === 0 && !this.done) this.taking = this.take();
    // The job goes on only in a slot, whether the wait succeeded or not.
    await this.taking;
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  end(): void {
    this.done = true;
    this.taker?.abort();
    this.giveBack();
  }
}
