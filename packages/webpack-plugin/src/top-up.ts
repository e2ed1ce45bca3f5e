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
// short, the pass waits for a token, which shows `jobslot run` the demand;
// one taken is the pool's, and the pass asks again. It stops asking when
// `jobslot run` answers that nothing is coming (none free above, or it holds
// -jN: core's poolRefusals), and starts with what it has.
//
// The answer, not a clock: a wait bounded by wall time alone (0.5 s, at
// first) is a race on a loaded machine, where `jobslot run` may not get to
// look in time; a build then minified on one worker with the machine free.
// The clock stays only as a backstop (a `jobslot run` that cannot see the
// waiter), and where no answer comes at all (not Linux: there `jobslot run`
// grows on an empty sub-pool without looking who waits).
import type { Limiter, Reservation, Slot } from '@jobslot/core';
import { poolRefusals } from '@jobslot/core/plugin';

/** Where `jobslot run` gives no answers: how long a pass waits for each token beyond those free at once. */
export const TOP_UP_MS = 500;
/** Where it answers: the most a pass waits for one, answered or not (a `jobslot run` that cannot see the waiter). */
export const UNANSWERED_MS = 5000;
/** How often the answers are looked at while waiting (a stat() each). */
const LOOK_MS = 25;

/** Whether this process is beneath `jobslot run` (its sub-pool is named in JOBSLOT_POOL): only then can waiting bring a token. */
function beneathJobslotRun(): boolean {
  return Boolean(process.env.JOBSLOT_POOL);
}

/**
 * Up to `want` more slots beside the run's own and the `have` extras taken
 * already, each waited for until it comes or `jobslot run` says none is
 * coming; none where waiting cannot help: no `jobslot run` above, or -jN
 * slots held already (a build alone beneath `jobslot run` has them all in its
 * sub-pool, and would wait for nothing). Given back by `release()`.
 */
export async function topUp(limiter: Limiter, want: number, have: number, free: (want: number) => Reservation): Promise<Reservation> {
  const slots: Array<Slot | Reservation> = [];
  want = Math.min(want, (limiter.client.jobs ?? Infinity) - 1 - have);
  let count = 0;
  const refusals = want > 0 && beneathJobslotRun() ? poolRefusals() : undefined;
  while (count < want && beneathJobslotRun()) {
    const slot = await oneMore(limiter, refusals);
    if (!slot) break; // none is coming: the machine is busy
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

/**
 * One more slot, or undefined once `jobslot run` has said twice since this
 * wait began that it has none to give (the first may answer a look made
 * before: this pass's last wait, or a sibling's), or at the backstop.
 */
async function oneMore(limiter: Limiter, refusals: { count(): number } | undefined): Promise<Slot | undefined> {
  const controller = new AbortController();
  const backstop = setTimeout(() => controller.abort(), refusals ? UNANSWERED_MS : TOP_UP_MS);
  let look: ReturnType<typeof setInterval> | undefined;
  if (refusals) {
    const before = refusals.count();
    look = setInterval(() => {
      if (refusals.count() >= before + 2) controller.abort();
    }, LOOK_MS);
  }
  try {
    return await limiter.acquire({ signal: controller.signal });
  } catch {
    return undefined;
  } finally {
    clearTimeout(backstop);
    clearInterval(look);
  }
}
