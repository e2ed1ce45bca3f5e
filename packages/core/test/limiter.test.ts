// The limiter against a real fifo jobserver in this process.
import { afterEach, describe, expect, it } from 'vitest';
import { JobClient } from '../src/client/client.js';
import { currentHold, lendSlotDuring } from '../src/pool/hold.js';
import { createLimiter, type Limiter } from '../src/pool/limiter.js';
import { createJobserver, type Jobserver } from '../src/posix/server.js';

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
    expect(server.close()).toMatchObject({ returned: 2, lost: 0 });
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

describe('limiter.hold', () => {
  it('one slot in total: a hold lends it to the nested job it waits on, then takes it back', async () => {
    const { limiter, client, server } = setup(1); // the implicit slot only, no tokens
    const order: string[] = [];
    // A job that waits on a nested job of its own build, which needs a slot too.
    const job = async (name: string, depth: number): Promise<string> => {
      const hold = limiter.hold();
      await hold.ready;
      try {
        expect(hold.holding).toBe(true);
        order.push(`start ${name}`);
        if (depth > 0) {
          const inner = await hold.lendDuring(() => {
            expect(hold.holding).toBe(false);
            return job(`${name}.1`, depth - 1);
          });
          expect(hold.holding).toBe(true);
          order.push(`back ${name} <- ${inner}`);
        }
        return name;
      } finally {
        hold.end();
        expect(hold.holding).toBe(false);
      }
    };
    const result = await Promise.race([job('a', 3), sleep(5000).then(() => 'deadlock')]);
    expect(result).toBe('a');
    expect(order).toEqual([
      'start a',
      'start a.1',
      'start a.1.1',
      'start a.1.1.1',
      'back a.1.1 <- a.1.1.1',
      'back a.1 <- a.1.1',
      'back a <- a.1',
    ]);
    expect(limiter.active).toBe(0);
    expect(client.held).toBe(0);
    client.close();
    expect(server.close()).toMatchObject({ returned: 0, lost: 0 });
  });

  it('a lent slot goes to whoever waits, and the lender queues to take one back', async () => {
    const { limiter } = setup(1);
    const a = limiter.hold();
    await a.ready;
    const b = limiter.hold();
    expect(limiter.pending).toBe(1);
    let bRan = false;
    await a.lendDuring(async () => {
      await b.ready; // b gets the lent slot
      bRan = true;
      expect(a.holding).toBe(false);
      setTimeout(() => b.end(), 20); // a can only take it back once b is done
    });
    expect(bRan).toBe(true);
    expect(b.ended).toBe(true);
    expect(a.holding).toBe(true);
    expect(limiter.active).toBe(1);
    a.end();
    a.end();
    expect(limiter.active).toBe(0);
  });

  it('the error path: the slot is taken back, then the error is rethrown', async () => {
    const { limiter, client } = setup(1);
    const hold = limiter.hold();
    await hold.ready;
    const other = limiter.hold(); // queued: gets the slot while hold lends it
    await expect(
      hold.lendDuring(async () => {
        await other.ready;
        setTimeout(() => other.end(), 20);
        throw new Error('nested failed');
      }),
    ).rejects.toThrow('nested failed');
    // Rethrown only after the slot came back (other had to end first).
    expect(other.ended).toBe(true);
    expect(hold.holding).toBe(true);
    expect(limiter.active).toBe(1);
    hold.end();
    expect(limiter.active).toBe(0);
    expect(client.held).toBe(0);
  });

  it('overlapping lends lend once and take back once, after the last', async () => {
    const { limiter, client } = setup(3);
    const hold = limiter.hold();
    await hold.ready;
    expect(limiter.active).toBe(1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = hold.lendDuring(() => gate.then(() => 1));
    const second = hold.lendDuring(() => sleep(5).then(() => 2));
    await second;
    // second is done but first still waits: the slot stays lent until both are.
    expect(limiter.active).toBe(0);
    expect(hold.holding).toBe(false);
    release();
    expect(await first).toBe(1);
    expect(hold.holding).toBe(true);
    expect(limiter.active).toBe(1);
    hold.end();
    expect(limiter.active).toBe(0);
    expect(client.held).toBe(0);
  });

  it('signal aborts the wait for the first slot: ready rejects and the hold has ended', async () => {
    const { limiter } = setup(1);
    const busy = await limiter.acquire();
    const controller = new AbortController();
    const hold = limiter.hold({ signal: controller.signal });
    expect(limiter.pending).toBe(1);
    controller.abort();
    await expect(hold.ready).rejects.toMatchObject({ name: 'AbortError' });
    expect(hold.ended).toBe(true);
    expect(limiter.pending).toBe(0);
    busy.release();
    expect(limiter.active).toBe(0);
  });

  it('end() while a lend waits to take a slot back: it stops waiting and the lend still returns', async () => {
    const { limiter } = setup(1);
    const hold = limiter.hold();
    await hold.ready;
    let busy!: { release(): void };
    const lending = hold.lendDuring(async () => {
      busy = await limiter.acquire(); // someone else takes the lent slot and keeps it
      return 'value';
    });
    while (limiter.pending === 0) await sleep(1); // the hold queues to take a slot back
    hold.end();
    expect(await lending).toBe('value');
    expect(limiter.pending).toBe(0);
    busy.release();
    expect(limiter.active).toBe(0);
  });

  it('run() nested in a hold of any pool, with no slot free, shares its slot; lent out, it takes a slot of its own', async () => {
    const { limiter } = setup(1);
    const other = createLimiter(limiter.client);
    cleanup.push(() => other.close());
    await limiter.run(async () => {
      expect(currentHold()?.holding).toBe(true);
      // no slot free: it shares the enclosing job's slot, no second one
      await other.run(() => expect(limiter.active + other.active).toBe(1));
      // lent out: the nested job takes the slot that was lent
      await lendSlotDuring(() => other.run(() => expect([limiter.active, other.active]).toEqual([0, 1])));
      expect(limiter.active).toBe(1);
    });
    expect(currentHold()).toBeUndefined();
  });
});

describe('limiter.subPool', () => {
  it('a base slot plus extras borrowed while jobs wait, given back when none waits', async () => {
    const { limiter, client } = setup(3); // the implicit slot and two tokens
    const base = await limiter.acquire(); // the owner's slot (the implicit one)
    const pool = limiter.subPool();
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        pool.run(async () => {
          peak = Math.max(peak, ++running);
          await sleep(10);
          running--;
        }),
      ),
    );
    expect(peak).toBe(3); // the base and both tokens
    expect(pool.active).toBe(0);
    expect(pool.capacity).toBe(1);
    expect(client.held).toBe(0);
    base.release();
  });

  it('without its base it borrows every slot; tryReserve takes tokens only', async () => {
    const { limiter, client } = setup(3);
    const pool = limiter.subPool({ base: false });
    expect(pool.capacity).toBe(0);
    const reservation = pool.tryReserve(5);
    expect(reservation.slots).toBe(2); // never the implicit slot
    expect(limiter.capacity - limiter.active).toBe(1);
    pool.close();
    expect(client.held).toBe(0);
    reservation.release();
    expect(limiter.active).toBe(0);
  });

  it('grow() borrows free tokens now; keep() holds them as a floor until it is lifted', async () => {
    const { limiter, client } = setup(4); // the implicit slot and three tokens
    const pool = limiter.subPool({ base: false });
    pool.keep(3);
    expect(pool.grow(5)).toBe(3); // tokens only: the implicit slot stays free
    expect(client.held).toBe(3);
    const slot = await pool.acquire(); // one of them, at once
    expect(client.held).toBe(3);
    pool.keep(0);
    expect(client.held).toBe(1); // only the one in use
    slot.release();
    expect(client.held).toBe(0);
  });

  it('close() lets waiting jobs through and gives extras back', async () => {
    const { limiter, client } = setup(1);
    const pool = limiter.subPool();
    const first = await pool.acquire();
    const waiting = pool.acquire();
    expect(pool.active).toBe(1);
    pool.close();
    const second = await waiting;
    expect(pool.active).toBe(2);
    first.release();
    second.release();
    expect(client.held).toBe(0);
  });
});

describe('createLimiter input and nesting', () => {
  it('a bad max is a TypeError, as in p-limit', () => {
    const server = createJobserver({ jobs: 2, style: 'fifo' });
    const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags } });
    cleanup.push(() => server.close(), () => client.close());
    for (const max of [Number.NaN, 0, -1, 1.5, '2' as unknown as number, null as unknown as number]) {
      expect(() => createLimiter(client, { max }), String(max)).toThrow(TypeError);
    }
    expect(() => createLimiter(client, { max: Infinity }).close()).not.toThrow();
    expect(() => createLimiter(client, { max: 3 }).close()).not.toThrow();
  });

  async function nestedPeak(limiter: Limiter, children: number) {
    let running = 0;
    let peak = 0;
    const body = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
    };
    await limiter.run(async () => {
      await Promise.all(Array.from({ length: children }, () => limiter.run(body)));
    });
    return peak;
  }

  it('runs nested in a slot are bounded: max 1 runs one at a time', async () => {
    const { limiter } = setup(4, 1);
    expect(await nestedPeak(limiter, 8)).toBe(1);
  });

  it('nested runs take free slots, and share the enclosing one beyond them (-j3: at most 3)', async () => {
    const { limiter, server, client } = setup(3);
    const peak = await nestedPeak(limiter, 8);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(peak).toBeLessThanOrEqual(3);
    limiter.close();
    client.close();
    expect(server.close()).toMatchObject({ returned: 2, lost: 0 });
  });

  it('nesting three deep with one slot in total finishes', async () => {
    const { limiter } = setup(1, 1);
    const order: string[] = [];
    await limiter.run(async () => {
      await Promise.all(
        ['a', 'b'].map((name) =>
          limiter.run(async () => {
            await limiter.run(async () => {
              order.push(name);
            });
          }),
        ),
      );
    });
    expect(order).toEqual(['a', 'b']);
  });
});
