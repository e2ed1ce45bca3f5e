// Siblings (packages/core/src/pool/pool.ts, "Turns"): a child pool with a long
// queue holds every slot its parent can give while its queue lasts. Before,
// it handed each finished job's slot straight to its own next job, so a
// sibling pool (another esbuild build in the same process, another compiler's
// module builds) or a job queued in the parent itself waited until the whole
// queue had started: here 40 jobs, about 13 times a job's length. Now the
// late one gets a slot at one of the first job ends after it arrives.
//
// Against a real fifo jobserver in this process (the implicit slot and two
// tokens), counted from the jobs' own start/end records: the late job starts
// while most of the long queue is still to start, never more than 3 run at
// once, and every token goes back.
import { afterEach, describe, expect, it } from 'vitest';
import { JobClient } from '../src/client/client.js';
import { createLimiter, type Limiter } from '../src/pool/limiter.js';
import { createJobserver } from '../src/posix/server.js';

let cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.reverse().forEach((f) => f());
  cleanup = [];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const JOBS = 40;
const JOB_MS = 15;

type Late = 'a sibling child pool' | 'a job of the parent itself';

describe('a child pool with a long queue beside a late arrival', () => {
  it.each<Late>(['a sibling child pool', 'a job of the parent itself'])('%s gets a slot within a few of its jobs', async (late) => {
    const server = createJobserver({ jobs: 3, style: 'fifo' });
    const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags } });
    const limiter: Limiter = createLimiter(client);
    cleanup.push(() => server.close(), () => client.close(), () => limiter.close());

    let running = 0;
    let peak = 0;
    let started = 0;
    let full: () => void;
    const isFull = new Promise<void>((r) => (full = r));
    const job = async () => {
      started++;
      peak = Math.max(peak, ++running);
      if (running === 3) full();
      await sleep(JOB_MS);
      running--;
    };
    const long = limiter.subPool({ base: false });
    const queue = Promise.all(Array.from({ length: JOBS }, () => long.run(job)));
    await isFull; // the long queue holds every slot
    let startedBefore = -1;
    const lateJob = async () => {
      startedBefore = started;
      peak = Math.max(peak, ++running);
      await sleep(JOB_MS);
      running--;
    };
    const sibling = late === 'a sibling child pool' ? limiter.subPool({ base: false }) : limiter;
    await Promise.all([queue, sibling.run(lateJob)]);
    console.log(`${late}: started after ${startedBefore} of the long queue's ${JOBS} jobs`);
    // Each job end of the long queue is a chance: 3 running when it came, one end to requeue behind it, one to serve it.
    expect(startedBefore).toBeLessThanOrEqual(3 + 3);
    expect(peak).toBeLessThanOrEqual(3);
    if (sibling !== limiter) sibling.close();
    long.close();
    expect(limiter.active).toBe(0);
    expect(client.held).toBe(0);
    client.close();
    expect(server.close()).toMatchObject({ lost: 0 });
  });
});
