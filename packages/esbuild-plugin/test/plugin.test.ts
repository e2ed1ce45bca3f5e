// In-process tests: a real esbuild service, real jobservers from core (a fifo,
// as make 4.4 makes), and /proc to see what the service was started with.
import { readFileSync, existsSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobClient, createJobserver, createLimiter, type Jobserver, type Limiter } from '@jobslot/core';
import { jobslot, serviceState } from '../src/index.js';
import { esbuildServiceChildren } from '../src/children.js';
import { withEnv } from '../src/env.js';

// The project configs do not inherit the root's 60 s; these start real processes
// on a shared 2-core machine. Bounds, not expectations.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await esbuild.stop();
  await until(() => (esbuildServiceChildren() ?? []).length === 0, 'esbuild services to exit');
});

/** A fifo jobserver with `jobs - 1` tokens and a limiter over a client of it. */
function jobserver(jobs: number): { server: Jobserver; client: JobClient; limiter: Limiter } {
  const server = createJobserver({ jobs, style: 'fifo' });
  const client = JobClient.fromEnv({ env: server.env({}) });
  const limiter = createLimiter(client);
  cleanups.push(() => {
    limiter.close();
    client.close();
    const { lost } = server.close();
    expect(lost, 'tokens lost').toBe(0);
  });
  expect(client.connected, client.reason).toBe(true);
  return { server, client, limiter };
}

/** Closes the plugin after the test even when the test fails first (close is idempotent). */
function track<T extends { close(): void }>(plugin: T): T {
  cleanups.push(() => plugin.close());
  return plugin;
}

function noJobserver(): Limiter {
  const client = JobClient.fromEnv({ env: {} });
  const limiter = createLimiter(client);
  cleanups.push(() => limiter.close());
  return limiter;
}

const input = (name: string) => ({
  stdin: { contents: `export const ${name} = [1, 2, 3].map((x) => x * 2);`, loader: 'ts' as const },
  write: false,
  bundle: true,
  format: 'esm' as const,
});

describe('withEnv', () => {
  it('sets variables for the call only, and puts back absent and present ones alike', () => {
    const before = { ...process.env };
    process.env.JOBSLOT_TEST_PRESENT = 'old';
    delete process.env.JOBSLOT_TEST_ABSENT;
    const seen = withEnv({ JOBSLOT_TEST_PRESENT: 'new', JOBSLOT_TEST_ABSENT: 'x' }, () => [
      process.env.JOBSLOT_TEST_PRESENT,
      process.env.JOBSLOT_TEST_ABSENT,
    ]);
    expect(seen).toEqual(['new', 'x']);
    expect(process.env.JOBSLOT_TEST_PRESENT).toBe('old');
    expect('JOBSLOT_TEST_ABSENT' in process.env).toBe(false);
    expect(() =>
      withEnv({ JOBSLOT_TEST_ABSENT: 'y' }, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect('JOBSLOT_TEST_ABSENT' in process.env).toBe(false);
    delete process.env.JOBSLOT_TEST_PRESENT;
    expect(process.env).toEqual(before);
  });
});

describe('the esbuild behaviour this package relies on', () => {
  it('starts one service on the first async call, with process.env as it is at that moment, and never rereads it', async () => {
    expect(esbuildServiceChildren()).toEqual([]);
    withEnv({ GOMAXPROCS: '1' }, () => void esbuild.formatMessages([], { kind: 'error' }));
    const [pid, ...more] = esbuildServiceChildren() ?? [];
    expect(more).toEqual([]);
    expect(environOf(pid!).GOMAXPROCS).toBe('1');
    await withEnv({ GOMAXPROCS: '7' }, () => esbuild.build(input('a')));
    expect(esbuildServiceChildren()).toEqual([pid]);
    expect(environOf(pid!).GOMAXPROCS).toBe('1');
  });
});

describe('jobslot()', () => {
  it('without a jobserver, leaves esbuild alone', async () => {
    const limiter = noJobserver();
    const warnings: string[] = [];
    const plugin = track(jobslot({ esbuild, limiter, onWarning: (m) => warnings.push(m) }));
    expect(plugin.service.threads).toBeUndefined();
    expect(plugin.service.reason).toBeTruthy();
    expect(esbuildServiceChildren(), 'the factory started no service').toEqual([]);
    const result = await esbuild.build({ ...input('b'), plugins: [plugin] });
    expect(result.outputFiles![0]!.text).toContain('map');
    const [pid] = esbuildServiceChildren()!;
    expect(environOf(pid!).GOMAXPROCS).toBe(process.env.GOMAXPROCS);
    expect(warnings).toEqual([]);
    plugin.close();
  });

  it('starts the service with GOMAXPROCS = the slots it takes (own slot + tokens), shares it, and gives them back on close', async () => {
    const { client, limiter } = jobserver(4);
    const envBefore = { ...process.env };
    const first = track(jobslot({ esbuild, limiter, maxThreads: 3 }));
    expect(process.env, 'process.env is put back').toEqual(envBefore);
    expect(first.service).toMatchObject({ threads: 3, slots: 3, reason: undefined });
    expect(client.held, 'own slot + 2 tokens').toBe(2);
    expect(limiter.active).toBe(3);
    const [pid, ...more] = esbuildServiceChildren()!;
    expect(more).toEqual([]);
    expect(first.service.pid).toBe(pid);
    expect(environOf(pid!).GOMAXPROCS).toBe('3');

    // A second plugin in the process shares the running service and takes nothing more.
    const second = track(jobslot({ esbuild, limiter, maxThreads: 3 }));
    expect(second.service).toBe(first.service);
    expect(client.held).toBe(2);
    const results = await Promise.all(
      ['c', 'd', 'e'].map((n, i) => esbuild.build({ ...input(n), plugins: [i % 2 ? first : second] })),
    );
    expect(results.every((r) => r.errors.length === 0)).toBe(true);
    expect(esbuildServiceChildren()).toEqual([pid]);
    expect(serviceState(esbuild)).toBe(first.service);

    first.close();
    first.close();
    expect(client.held, 'still in use by the second plugin').toBe(2);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    second.close();
    expect(client.held).toBe(0);
    expect(limiter.active).toBe(0);
    await until(() => esbuildServiceChildren()!.length === 0, 'the service to stop');
    expect(serviceState(esbuild)).toBeUndefined();
  });

  it('takes only tokens that are free, without waiting', async () => {
    const { server, limiter } = jobserver(3);
    // Someone else (another job of the same make) holds one of the two tokens.
    const rival = JobClient.fromEnv({ env: server.env({}) });
    cleanups.push(() => rival.close());
    const token = rival.tryAcquire();
    expect(token).not.toBeNull();
    const started = Date.now();
    const plugin = track(jobslot({ esbuild, limiter, maxThreads: 8 }));
    expect(Date.now() - started, 'did not wait for the held token').toBeLessThan(2000);
    expect(plugin.service).toMatchObject({ threads: 2, slots: 2 });
    expect(environOf(plugin.service.pid!).GOMAXPROCS).toBe('2');
    token!.release();
    plugin.close();
  });

  it('treats a GOMAXPROCS already in the environment as the ceiling', () => {
    const { limiter } = jobserver(8);
    const plugin = withEnv({ GOMAXPROCS: '2' }, () => track(jobslot({ esbuild, limiter })));
    expect(plugin.service.threads).toBe(2);
    expect(environOf(plugin.service.pid!).GOMAXPROCS).toBe('2');
    plugin.close();
  });

  it('says so, and holds nothing, when esbuild was already running', async () => {
    const { client, limiter } = jobserver(4);
    await esbuild.transform('let a = 1', {});
    const warnings: string[] = [];
    const plugin = track(jobslot({ esbuild, limiter, onWarning: (m) => warnings.push(m) }));
    expect(plugin.service.threads).toBeUndefined();
    expect(warnings.join('\n')).toMatch(/already running/);
    expect(client.held).toBe(0);
    expect(limiter.active).toBe(0);
    plugin.close();
  });

  it('warns when a build runs on a service it did not start (used after close)', async () => {
    const { limiter } = jobserver(2);
    const warnings: string[] = [];
    const plugin = track(jobslot({ esbuild, limiter, onWarning: (m) => warnings.push(m) }));
    plugin.close();
    await until(() => esbuildServiceChildren()!.length === 0, 'the service to stop');
    await esbuild.build({ ...input('f'), plugins: [plugin] });
    expect(warnings.join('\n')).toMatch(/did not start/);
  });
});
