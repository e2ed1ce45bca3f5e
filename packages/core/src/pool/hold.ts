// A hold: one job's claim on a slot, which it lends out while it waits on
// nested work and takes back before it goes on.
//
// A job (a plugin hook, a loader) that awaits other jobs of the same build
// (`this.load()`, `build.resolve()`, a nested build) must not sit on its slot
// meanwhile: with every slot held by such waiters, the jobs they wait for
// queue forever. So the slot goes back for the wait and a slot is taken again
// before the job continues, as make's own jobs do: a job waiting is not a job
// running. With one slot in total this is what lets nesting finish at all.
//
// One notion of "the hold I am in" per process: a pool's run() runs a job in
// a hold and makes it the async context's current hold; a job nested inside it
// (a run() in a run(), a plugin callback calling another governed one, a build
// started from a callback) runs in that slot (pool.ts decides how); lendSlotDuring() lends
// the current hold's slot out while the job awaits nested work.
import { AsyncLocalStorage } from 'node:async_hooks';
import { processRecord } from '../state.js';
import type { Hold, Slot } from '../types.js';

/** Anything that hands out slots: a pool, or a slot taken already. */
export interface SlotSource {
  acquire(options?: { signal?: AbortSignal }): Promise<Slot>;
}

/** The hold each async context runs in: one store per process, whichever copy of core asks. */
function holds(): AsyncLocalStorage<SlotHold> {
  return processRecord('holds', () => new AsyncLocalStorage<SlotHold>(), { keep: true });
}

export class SlotHold implements Hold {
  readonly ready: Promise<void>;
  /**
   * This hold's slot, shared by the jobs nested in it that found no free one:
   * a pool with that slot as its base (made by pool.ts on first use).
   */
  shared: SlotSource | undefined;
  private slot: Slot | undefined;
  /** lendDuring() calls in progress; the slot is lent out while > 0 */
  private lent = 0;
  /** the latest take; a lend waits for it so it never lends a slot still coming */
  private taking: Promise<void>;
  private taker: AbortController | undefined;
  private done = false;

  constructor(
    private readonly source: SlotSource,
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
      const slot = await this.source.acquire({ signal: taker.signal });
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

/** The hold this async context runs in, if it holds its slot now (not while lent out, not after it ended). */
export function currentHold(): Hold | undefined {
  return currentHoldOf();
}

/** The same, as the class (for pool.ts). */
export function currentHoldOf(): SlotHold | undefined {
  const hold = holds().getStore();
  return hold?.holding ? hold : undefined;
}

/** Runs `fn` as the async context's current hold, once it has its slot; ends the hold after. */
export async function runInHold<T>(hold: SlotHold, fn: () => T | Promise<T>): Promise<T> {
  try {
    await hold.ready;
    return await holds().run(hold, fn);
  } finally {
    hold.end();
  }
}

/**
 * Runs `wait` (nested work of the same build that the current job awaits)
 * with the current hold's slot lent out, and takes a slot again before it
 * returns; without a current hold, just runs `wait`.
 */
export function lendSlotDuring<T>(wait: () => T | Promise<T>): Promise<T> {
  const hold = holds().getStore();
  if (!hold || hold.ended) return (async () => wait())();
  return hold.lendDuring(wait);
}

/** Runs `fn` outside any hold: async resources made in it must not carry one into unrelated later callbacks. */
export function outsideHolds<T>(fn: () => T): T {
  return holds().exit(fn);
}
