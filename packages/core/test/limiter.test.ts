// The limiter against a real fifo jobserver in this process.
import { afterEach, describe, expect, it } from 'vitest';
import { JobClient } from '../src/client.js';
import { createLimiter, type Limiter } from '../src/limiter.js';
import { createJobserver, type Jobserver } from '../src/server.js';

let cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.reverse().forEach((f) => f());
  cleanup = [];
});

function setup(jobs: number, max?: number) {
  const server = createJobserver({ jobs, style: 'fifo' });
  const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags } });
  const limiter = createLimiter(client, { max });
  cleanup.push(() => server.close(), () => client.close(), () => limiter.close());
  return { server, client, limiter };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(limiter: Limiter, tasks: number, ms: number) {
  let running = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: tasks }, () =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(ms);
        running--;
      }),
    ),
  );
  return peak;
}

describe('createLimiter', () => {
  it('runs at most 1 + tokens at once, and gives every token back when the queue empties', async () => {
    const { limiter, client, server } = setup(3);
    expect(await measure(limiter, 10, 20)).toBe(3);
    expect(client.held).toBe(0);
    expect(limiter.active).toBe(0);
    expect(limiter.pending).toBe(0);
    client.close();
    expect(server.close()).toEqual({ returned: 2, lost: 0 });
  });

  it('max caps the slots, the implicit one included', async () => {
    const { limiter } = setup(6, 2);
    expect(await measure(limiter, 8, 10)).toBe(2);
  });

  it('a run() inside a running slot runs in that slot instead of deadlocking', async () => {
    const { limiter } = setup(1); // one slot in all
    const result = await limiter.run(() => limiter.run(() => limiter.run(() => 42)));
    expect(result).toBe(42);
  });

  it('a task that throws gives its slot back', async () => {
    const { limiter, client } = setup(2);
    await expect(limiter.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(limiter.active).toBe(0);
    expect(client.held).toBe(0);
  });

  it('tryReserve takes free slots without waiting, and gives them back', () => {
    const { limiter, client } = setup(4);
    const r = limiter.tryReserve(10);
    expect(r.slots).toBe(4); // the implicit slot and three tokens
    expect(client.held).toBe(3);
    expect(limiter.tryReserve(1).slots).toBe(0);
    r.release();
    r.release();
    expect(client.held).toBe(0);
    expect(limiter.active).toBe(0);
  });

  it('two limiters in one process share the implicit slot', async () => {
    const a = setup(2);
    const b = createLimiter(a.client);
    cleanup.push(() => b.close());
    const ra = a.limiter.tryReserve(1);
    const rb = b.tryReserve(5);
    expect(ra.slots + rb.slots).toBe(2);
    ra.release();
    rb.release();
  });

  it('an aborted acquire leaves the queue', async () => {
    const { limiter } = setup(1);
    const slot = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire({ signal: controller.signal });
    expect(limiter.pending).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(limiter.pending).toBe(0);
    slot.release();
  });

  it('without a jobserver: max, else the client fallback (1 under make, CPUs outside)', async () => {
    const outside = JobClient.fromEnv({ env: {} });
    const underMake = JobClient.fromEnv({ env: { MAKEFLAGS: 'k' } });
    expect(createLimiter(outside).limited).toBe(false);
    expect(createLimiter(outside, { max: 3 }).capacity).toBe(3);
    expect(await measure(createLimiter(outside, { max: 3 }), 9, 10)).toBe(3);
    expect(await measure(createLimiter(underMake), 4, 5)).toBe(1);
    expect(createLimiter(outside).capacity).toBe(outside.fallbackSlots);
  });
});
