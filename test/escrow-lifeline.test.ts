// Issue 21 item 6: a worker thread's tokens when the main thread never loaded
// jobslot. No listener of ours replaces a termination signal's default
// action, so the process dies before any of our code runs again (as with
// SIGKILL): the tokens must still go back to the jobserver, exactly once.
// A worker churns up to 3 tokens as fast as it can and the process is killed
// mid-churn, many times; the pool is counted at the end (the server's count,
// and make's own `INTERNAL:` line under make 4.3 and 4.4.1).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJobserver } from '@jobslot/core/server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, makeBins, ROOT, runMake, sh, tempDir } from './support/index.js';

const FIXTURES = join(ROOT, 'test/fixtures/core');
const WORKER_ONLY = join(FIXTURES, 'worker-only.mjs');
const ROUNDS = 20;

/** Live processes in process group `pgid`. */
function group(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Waits (polling, 20 s at most) until process group `pgid` is empty; whether it emptied. */
async function groupEnds(pgid: number): Promise<boolean> {
  const limit = Date.now() + 20_000;
  while (group(pgid).length > 0) {
    if (Date.now() > limit) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** The processes of group `pgid` whose command line names the lifeline. */
function lifelines(pgid: number): number[] {
  return group(pgid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('jobslot-lifeline');
    } catch {
      return false;
    }
  });
}

/** Starts worker-only.mjs on a fresh pool of 4, in a process group of its own, and waits until it churns. */
async function churning(style: 'fifo' | 'pipe', args: string[] = []) {
  const server = createJobserver({ jobs: 4, style });
  const child = spawn('node', [WORKER_ONLY, ...args], { env: server.env(cleanEnv()), stdio: ['ignore', 'pipe', 'inherit', ...server.stdio], detached: true });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // However the test ends (a failure, a time-out), the process does not outlive it.
  onTestFinished(() => void child.kill('SIGKILL'));
  let output = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    output += d;
    for (const w of waiters) w();
  });
  /** Resolves with the output once it matches `pattern`. */
  const says = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const check = () => pattern.test(output) && resolve(output);
      waiters.push(check);
      check();
    });
  await says(/churning/);
  return { server, child, exited, says };
}

describe.each(['fifo', 'pipe'] as const)('worker tokens with no client on the main thread (%s)', (style) => {
  it.each(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP'] as const)(`deaths by %s mid-churn, round after round: every token back exactly once`, async (signal) => {
    const rounds = signal === 'SIGTERM' || signal === 'SIGKILL' ? ROUNDS : ROUNDS / 4;
    const results: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const { server, child, exited } = await churning(style);
      child.kill(signal);
      expect((await exited).signal).toBe(signal);
      // The lifeline gives back after the death: wait for it (our group) to end, then count.
      expect(await groupEnds(child.pid!)).toBe(true);
      const { returned, lost, extra } = server.close();
      results.push(`${returned}/${lost}/${extra}`);
    }
    expect(results).toEqual(results.map(() => '3/0/0'));
  }, 120_000);

  it('a normal exit mid-churn gives every token back and leaves no process behind', async () => {
    for (let i = 0; i < 5; i++) {
      const { server, child, exited } = await churning(style, ['', 'exit']);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(await groupEnds(child.pid!)).toBe(true);
      expect(server.close()).toEqual({ returned: 3, lost: 0, extra: 0 });
    }
  }, 60_000);
});

describe('a worker ended by terminate() while the process lives on', () => {
  it.each(['fifo', 'pipe'] as const)('%s: its tokens go back at once, and none of its pipes stay open', async (style) => {
    const { server, child, exited, says } = await churning(style, ['', 'terminate']);
    const said = await says(/terminated \d+ \d+\n/);
    const [, before, after] = /terminated (\d+) (\d+)/.exec(said)!;
    // The lifeline ends once it has written back; the process itself is still alive.
    const limit = Date.now() + 20_000;
    while (lifelines(child.pid!).length > 0 && Date.now() < limit) await new Promise((r) => setTimeout(r, 5));
    expect(lifelines(child.pid!)).toEqual([]);
    expect(group(child.pid!)).toEqual([child.pid]);
    expect(server.close()).toEqual({ returned: 3, lost: 0, extra: 0 });
    expect(Number(after)).toBeLessThanOrEqual(Number(before));
    child.kill('SIGKILL');
    await exited;
  }, 60_000);
});

describe('which worker clients get a lifeline', () => {
  it('one per worker client where the main thread has none; none where it has one (no process, no cost)', async () => {
    const alone = await churning('fifo');
    expect(lifelines(alone.child.pid!)).toHaveLength(1);
    alone.child.kill('SIGTERM');
    await alone.exited;
    expect(await groupEnds(alone.child.pid!)).toBe(true);
    expect(alone.server.close()).toEqual({ returned: 3, lost: 0, extra: 0 });

    // worker-churn.mjs: the same worker, with a client on the main thread too.
    const server = createJobserver({ jobs: 4, style: 'fifo' });
    const child = spawn('node', [join(FIXTURES, 'worker-churn.mjs')], { env: server.env(cleanEnv()), stdio: ['ignore', 'pipe', 'inherit', ...server.stdio], detached: true });
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('churning') && resolve()));
    expect(group(child.pid!)).toEqual([child.pid]);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    expect(server.close()).toEqual({ returned: 3, lost: 0, extra: 0 });
  }, 60_000);
});

const { available } = makeBins();

describe.each(available)('under make $version: the killed process was the only client', (make) => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('%s: make ends with every token (no INTERNAL: line)', async (signal) => {
    for (let i = 0; i < 5; i++) {
      const dir = tempDir('jobslot-lifeline-');
      const pid = join(dir, 'victim.pid');
      const result = await runMake({
        make,
        dir,
        jobs: 4,
        makefile: [
          'all: victim killer',
          // '+' so that make 4.3 passes its pipe to the recipe.
          `victim:\n\t+@node ${sh(WORKER_ONLY)} ${sh(pid)}`,
          `killer:\n\t@node ${sh(join(FIXTURES, 'kill-and-wait.mjs'))} ${sh(pid)} ${signal}`,
          '',
        ].join('\n'),
        timeoutMs: 60_000,
      });
      expect(result.stdout).toContain(`got ${signal}`);
      expect(result.stderr).toMatch(signal === 'SIGKILL' ? /victim\] (Killed|Error 137)/ : /victim\] (Terminated|Error 143)/);
      expect(result.leakLine).toBeUndefined();
    }
  }, 120_000);
});

