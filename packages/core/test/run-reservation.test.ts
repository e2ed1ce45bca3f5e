// The run rule (run-reservation.ts) against a real fifo jobserver in this
// process: while a run holds every slot, the work it waits on in this process
// (vitest's module transforms, in plugin hooks governed by the limiter) runs
// at once instead of waiting for the run's own slots.
import { afterEach, describe, expect, it } from 'vitest';
import { JobClient } from '../src/client/client.js';
import { createLimiter } from '../src/pool/limiter.js';
import { reserveForRun, runHeld } from '../src/pool/run-reservation.js';
import { createJobserver } from '../src/posix/server.js';

let cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.reverse().forEach((f) => f());
  cleanup = [];
});

function setup(jobs: number) {
  const server = createJobserver({ jobs, style: 'fifo' });
  const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags } });
  const limiter = createLimiter(client);
  cleanup.push(() => server.close(), () => client.close(), () => limiter.close());
  return { server, client, limiter };
}

/** What `p` settles to within `ms`, or 'waiting'. */
function within<T>(p: Promise<T>, ms = 500): Promise<T | 'waiting'> {
  return Promise.race([p, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), ms))]);
}

describe('reserveForRun: a slot\'s holder never waits on work that needs a slot from the same holder', () => {
  it('while a run holds every slot, a job in the process runs at once on its account; after it, jobs wait again', async () => {
    const { limiter, client, server } = setup(2);
    const run = reserveForRun(limiter, 5);
    cleanup.unshift(() => run.release());
    expect(run.slots).toBe(2); // the implicit slot and make's one token
    expect(runHeld()).toBe(true);
    // The shape that hung vitest: a transform hook the run's workers wait on.
    // It takes no slot of its own: the run's slots pay for it, and only they are counted (and traced).
    expect(await within(limiter.run(() => limiter.active))).toBe(2);
    const slot = await within(limiter.acquire());
    expect(slot).not.toBe('waiting');
    (slot as { release(): void }).release();
    expect(client.held).toBe(1); // nothing more was taken from make for it
    run.release();
    expect(runHeld()).toBe(false);
    expect(client.held).toBe(0);
    // Without a run, a job that finds every slot taken waits, as before.
    expect(limiter.active).toBe(0);
    const plain = limiter.tryReserve(5);
    const waiting = limiter.run(() => 'later');
    expect(await within(waiting, 200)).toBe('waiting');
    plain.release();
    expect(await waiting).toBe('later');
    client.close();
    expect(server.close()).toMatchObject({ lost: 0 });
  });

  it('a job already queued when the run starts goes at once', async () => {
    const { limiter } = setup(1);
    const before = limiter.tryReserve(1); // the process's one slot, held by something else
    const queued = limiter.run(() => 'done');
    expect(await within(queued, 100)).toBe('waiting');
    const run = reserveForRun(limiter, 1);
    cleanup.unshift(() => run.release());
    expect(run.slots).toBe(0);
    expect(await within(queued)).toBe('done');
    run.release();
    before.release();
    expect(limiter.active).toBe(0);
  });

  it('without a jobserver it is tryReserve, and nothing changes', () => {
    const limiter = createLimiter(JobClient.fromEnv({ env: {} }));
    cleanup.push(() => limiter.close());
    const run = reserveForRun(limiter, 3);
    expect(run.slots).toBe(3);
    expect(runHeld()).toBe(false);
    run.release();
  });
});
