// JobClient against a real fifo jobserver in this process (pipe style needs a
// parent holding the pipe, so it is covered by the end-to-end tests).
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { JobClient, type Token } from '../src/client/client.js';
import { createJobserver, type Jobserver } from '../src/posix/server.js';

let servers: Jobserver[] = [];
let clients: JobClient[] = [];
afterEach(() => {
  for (const c of clients) c.close();
  servers.forEach((s) => s.close());
  servers = [];
  clients = [];
});

function setup(jobs: number, options: { tokenByte?: number; waitMode?: 'signal' | 'poll' } = {}) {
  const server = createJobserver({ jobs, style: 'fifo', tokenByte: options.tokenByte });
  servers.push(server);
  const warnings: string[] = [];
  const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags }, onWarning: (m) => warnings.push(m), waitMode: options.waitMode });
  clients.push(client);
  return { server, client, warnings };
}

describe('JobClient (fifo)', () => {
  it('connects, reads the -j hint, takes every free token and no more', () => {
    const { client, server, warnings } = setup(4);
    expect(client.connected).toBe(true);
    expect(client.style).toBe('fifo');
    expect(client.jobs).toBe(4);
    const tokens = [client.tryAcquire(), client.tryAcquire(), client.tryAcquire()];
    expect(tokens.every(Boolean)).toBe(true);
    expect(client.tryAcquire()).toBeNull();
    expect(client.held).toBe(3);
    tokens.forEach((t) => t!.release());
    tokens.forEach((t) => t!.release()); // idempotent
    expect(client.held).toBe(0);
    expect(warnings).toEqual([]);
    client.close();
    expect(server.close()).toMatchObject({ returned: 3, lost: 0 });
  });

  it('writes back the exact byte it read, 0x80-0xff included', () => {
    for (const byte of [0x2b, 0x80, 0xfe, 0xff]) {
      const { client } = setup(2, { tokenByte: byte });
      const token = client.tryAcquire()!;
      expect(token.byte).toBe(byte);
      token.release();
      expect(client.tryAcquire()!.byte).toBe(byte);
    }
  });

  it.each(['signal', 'poll'] as const)('acquire() waits for a released token (%s)', async (waitMode) => {
    const { client } = setup(2, { waitMode });
    const first = client.tryAcquire()!;
    const waiting = client.acquire({ timeout: 5000 });
    setTimeout(() => first.release(), 50);
    const second = await waiting;
    expect(second).not.toBeNull();
    expect(client.held).toBe(1);
  });

  it.each(['signal', 'poll'] as const)('a 200 ms timeout resolves null before 1 s (%s)', async (waitMode) => {
    const { client } = setup(1, { waitMode });
    const start = performance.now();
    expect(await client.acquire({ timeout: 200 })).toBeNull();
    const took = performance.now() - start;
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(1000);
  });

  it('abort rejects with an AbortError; an aborted signal rejects at once', async () => {
    const { client } = setup(1);
    const controller = new AbortController();
    const waiting = client.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(client.acquire({ signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('acquireSync blocks at most its timeout, and takes a free token at once', () => {
    const { client } = setup(2);
    const t = client.acquireSync({ timeout: 100 });
    expect(t).not.toBeNull();
    const start = performance.now();
    expect(client.acquireSync({ timeout: 150 })).toBeNull();
    const took = performance.now() - start;
    expect(took).toBeGreaterThanOrEqual(145);
    expect(took).toBeLessThan(1000);
  });

  it.each(['signal', 'poll'] as const)('fifty waiters leave the threadpool free for file I/O, and all are served in turn (%s)', async (waitMode) => {
    const { client, server } = setup(3, { waitMode });
    const held: Token[] = [client.tryAcquire()!, client.tryAcquire()!];
    const waits = Array.from({ length: 50 }, () => client.acquire({ timeout: 10_000 }));
    // With a thread per waiter, four would already hold every libuv thread.
    const start = performance.now();
    await Promise.all(Array.from({ length: 16 }, () => readFile(new URL(import.meta.url))));
    expect(performance.now() - start).toBeLessThan(1000);
    held.forEach((t) => t.release());
    let served = 0;
    for (const wait of waits) {
      const token = await wait;
      expect(token).not.toBeNull();
      served++;
      token!.release();
    }
    expect(served).toBe(50);
    client.close();
    expect(server.close()).toMatchObject({ returned: 2, lost: 0 });
  });

  it('close() gives back what it holds and ends every wait with null', async () => {
    const { client, server } = setup(3);
    client.tryAcquire();
    client.tryAcquire();
    const waiting = client.acquire();
    client.close();
    expect(await waiting).toBeNull();
    expect(client.held).toBe(0);
    expect(server.close()).toMatchObject({ returned: 2, lost: 0 });
  });
});

describe('timeouts', () => {
  it('NaN, negative and non-number timeouts are a TypeError (not a spin, not a wait for ever)', async () => {
    const { client } = setup(1);
    for (const timeout of [Number.NaN, -1, '100' as unknown as number]) {
      expect(() => client.acquire({ timeout })).toThrow(TypeError);
      expect(() => client.acquireSync({ timeout })).toThrow(TypeError);
    }
    // 0 and Infinity are fine: try once, and wait as long as it takes.
    expect(await client.acquire({ timeout: 0 })).toBeNull();
    expect(client.acquireSync({ timeout: 0 })).toBeNull();
  });

  it('a timeout past 2^31 ms waits (no TimeoutOverflowWarning, no null after 1 ms)', async () => {
    const { client } = setup(2);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const held = client.tryAcquire()!;
      const waiting = client.acquire({ timeout: 2 ** 31 });
      const outcome = await Promise.race([waiting, new Promise((r) => setTimeout(() => r('still waiting'), 100))]);
      expect(outcome).toBe('still waiting');
      held.release();
      expect(await waiting).not.toBeNull();
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('100,000 waiters timing out together do not block the event loop', async () => {
    const { client } = setup(1);
    const waits = Array.from({ length: 100_000 }, () => client.acquire({ timeout: 50 }));
    const created = performance.now();
    const results = await Promise.all(waits);
    const took = performance.now() - created;
    console.log(`100,000 timeouts settled ${took.toFixed(0)} ms after the last acquire()`);
    expect(results.every((r) => r === null)).toBe(true);
    // Removing one waiter was O(n): 1.9 s to 10 s for all of them. Generous bound.
    expect(took).toBeLessThan(1500);
  });
});
