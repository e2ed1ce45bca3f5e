// More slots for a worker pool about to start, from the `jobslot run` above.
//
// A minimizer pass sizes its worker pool once, when it starts, to the slots
// it can take without waiting (minimizers.ts). Beneath `jobslot run`, those
// are the tokens in its sub-pool, and `jobslot run` puts a token there only
// when something beneath waits for one (cli/demand.ts: no churn). A pool
// sized without waiting never waits, so a build that started while make's
// other jobs held every token kept one slot to the end, however free the
// machine became (a webpack app under make -j4, its three sleeping siblings
// done 50 s before it: one terser worker). So when the sub-pool comes up
// short, the pass waits a moment for a token, which shows `jobslot run` the
// demand; one taken in time is the pool's, and the pass asks again. When
// nothing above is free it starts after TOP_UP_MS with what it had.
import type { Limiter, Reservation, Slot } from '@jobslot/core';

/**
 * How long a pass waits for each token beyond those free at once: `jobslot
 * run` looks for waiters every 0.1 s, and at a process that has only just
 * opened its sub-pool within 0.2 s (cli/demand.ts).
 */
export const TOP_UP_MS = 500;

/** Whether this process is beneath `jobslot run` (its sub-pool is named in JOBSLOT_POOL): only then can waiting bring a token. */
function beneathJobslotRun(): boolean {
  return Boolean(process.env.JOBSLOT_POOL);
}

/**
 * Up to `want` more slots beside the run's own and the `have` extras taken
 * already, waiting at most TOP_UP_MS for each; none where waiting cannot help:
 * no `jobslot run` above, or -jN slots held already (a build alone beneath
 * `jobslot run` has them all in its sub-pool, and would wait for nothing).
 * Given back by `release()`.
 */
export async function topUp(limiter: Limiter, want: number, have: number, free: (want: number) => Reservation): Promise<Reservation> {
  const slots: Array<Slot | Reservation> = [];
  want = Math.min(want, (limiter.client.jobs ?? Infinity) - 1 - have);
  let count = 0;
  while (count < want && beneathJobslotRun()) {
    let slot: Slot | undefined;
    try {
      slot = await limiter.acquire({ signal: AbortSignal.timeout(TOP_UP_MS) });
    } catch {
      break; // nothing came in time: the machine is busy
    }
    slots.push(slot);
    count++;
    // `jobslot run` may have put more than one in: take those without waiting.
    if (count < want) {
      const more = free(want - count);
      slots.push(more);
      count += more.slots;
    }
  }
  return {
    slots: count,
    release() {
      for (const slot of slots) slot.release();
    },
  };
}
