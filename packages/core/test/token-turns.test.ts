// Taking turns (src/token-turns.ts): a limiter with jobs queued gives a token
// it has held a while back to the jobserver at a job's end, so a blocking
// reader beside it (make's own jobs, cargo's helper thread) gets a turn
// instead of waiting for the whole queue to drain.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { JobClient } from '../src/client.js';
import { createLimiter } from '../src/limiter.js';
import { createJobserver } from '../src/server.js';

let cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.reverse().forEach((f) => f());
  cleanup = [];
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a limiter with a long queue beside a blocking reader', () => {
  it('the reader gets a token while the queue still has work (before: only once it had drained)', async () => {
    // -j2: the limiter's implicit slot and the one token.
    const server = createJobserver({ jobs: 2, style: 'fifo' });
    const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags } });
    const limiter = createLimiter(client);
    cleanup.push(() => server.close(), () => client.close(), () => limiter.close());

    const start = performance.now();
    const jobs = Array.from({ length: 80 }, () => limiter.run(() => sleep(30)));
    while (server.free() > 0) await sleep(2);
    // A blocking reader, as make's job slots and cargo's helper thread are: it
    // takes one token, notes when, and writes it back.
    const reader = spawn('sh', ['-c', `dd bs=1 count=1 status=none < '${server.path}' > /dev/null && printf + > '${server.path}'`], { stdio: 'ignore' });
    let got = 0;
    const readerDone = new Promise<void>((resolve) => reader.on('exit', () => ((got = performance.now()), resolve())));
    await Promise.all(jobs);
    const drained = performance.now();
    await readerDone;
    // 80 jobs of 30 ms on at most 2 slots: at least 1.2 s. The reader had its
    // turn well before the end (it waits at most a turn of 100 ms and a job).
    expect(drained - start).toBeGreaterThan(1200);
    expect(drained - got).toBeGreaterThan(300);
    expect(server.free()).toBe(1);
  });
});
