// In-process tests: real esbuild builds, real jobservers from core (a fifo, as
// make 4.4 makes), and /proc to see what esbuild's service was started with.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import * as esbuild from 'esbuild';
import type { Plugin, PluginBuild } from 'esbuild';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobClient, createLimiter, type Limiter } from '@jobslot/core';
import { type Jobserver } from '@jobslot/core/server';
import { testJobserver, type TestJobserver } from '@jobslot/e2e/support';
import { build, context, jobslot } from '../src/index.js';
import { serviceState } from '../src/testing.js';
import { esbuildServiceChildren } from '../src/children.js';
import { withThreadEnv } from '@jobslot/core/plugin';

// The project configs do not inherit the root's 60 s; these start real processes
// on a shared 2-core machine. Bounds, not expectations.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

function gomaxprocsOf(pid: number): string | undefined {
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((e) => e.startsWith('GOMAXPROCS='));
  return entry?.slice('GOMAXPROCS='.length);
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await esbuild.stop();
  await until(() => (esbuildServiceChildren() ?? []).length === 0, 'esbuild services to exit');
});

/** A fifo jobserver with `jobs - 1` tokens and a limiter over a client of it. */
function jobserver(jobs: number): TestJobserver {
  const served = testJobserver(jobs);
  const { client, limiter } = served;
  cleanups.push(() => {
    expect(limiter.active, 'slots still running after the test').toBe(0);
    expect(client.held, 'tokens still held after the test').toBe(0);
    expect(served.close().lost, 'tokens lost').toBe(0);
  });
  expect(client.connected, client.error?.message).toBe(true);
  return served;
}

/** Another job of the same make, holding `count` tokens. */
function rival(server: Jobserver, count: number): () => void {
  const client = JobClient.fromEnv({ env: server.env({}) });
  const tokens = Array.from({ length: count }, () => client.tryAcquire());
  expect(tokens.every(Boolean), 'rival got its tokens').toBe(true);
  let done = false;
  const release = () => {
    if (done) return;
    done = true;
    for (const t of tokens) t!.release();
    client.close();
  };
  cleanups.push(release);
  return release;
}

/** Virtual modules `v0`..`v{n-1}`, each loaded after `ms` of waiting, imported by one entry. */
function virtualModules(n: number, ms: number, seen?: { running: number; peak: number; check?: () => void }): Plugin {
  return {
    name: 'virtual',
    setup(b: PluginBuild) {
      b.onResolve({ filter: /^v\d+$/ }, (a) => ({ path: a.path, namespace: 'v' }));
      b.onLoad({ filter: /.*/, namespace: 'v' }, async (a) => {
        if (seen) {
          seen.running++;
          seen.peak = Math.max(seen.peak, seen.running);
          seen.check?.();
        }
        try {
          await sleep(ms);
          return { contents: `export default ${JSON.stringify(a.path)};` };
        } finally {
          if (seen) seen.running--;
        }
      });
    },
  };
}

const entry = (n: number) => ({
  stdin: { contents: Array.from({ length: n }, (_, i) => `import v${i} from 'v${i}'; console.log(v${i});`).join('\n'), resolveDir: '/' },
  bundle: true,
  write: false,
  logLevel: 'silent' as const,
});

/** Counts builds between their first onLoad (so after every onStart) and onEnd. */
function buildCounter(): { plugin: Plugin; running: number; peak: number; onRun?: () => void } {
  const counter = {
    running: 0,
    peak: 0,
    onRun: undefined as (() => void) | undefined,
    plugin: {
      name: 'count-builds',
      setup(b: PluginBuild) {
        let counted = false;
        b.onStart(() => {
          counted = false;
        });
        b.onLoad({ filter: /.*/, namespace: 'v' }, () => {
          if (!counted) {
            counted = true;
            counter.running++;
            counter.peak = Math.max(counter.peak, counter.running);
            counter.onRun?.();
          }
          return undefined;
        });
        b.onEnd(() => {
          if (counted) counter.running--;
          counted = false;
        });
      },
    } as Plugin,
  };
  return counter;
}

describe('the esbuild behaviour this package relies on', () => {
  it('starts one service on the first async call, with process.env as it is then, and never rereads it', async () => {
    expect(esbuildServiceChildren()).toEqual([]);
    withThreadEnv(1, () => void esbuild.formatMessages([], { kind: 'error' }));
    const [pid, ...more] = esbuildServiceChildren() ?? [];
    expect(more).toEqual([]);
    expect(gomaxprocsOf(pid!)).toBe('1');
    await withThreadEnv(7, () => esbuild.build({ stdin: { contents: 'let a = 1' }, write: false }));
    expect(esbuildServiceChildren()).toEqual([pid]);
    expect(gomaxprocsOf(pid!)).toBe('1');
  });

  it('awaits every onStart before loading, and calls onEnd for failed builds too', async () => {
    const order: string[] = [];
    const plugin: Plugin = {
      name: 'order',
      setup(b) {
        b.onStart(async () => {
          await sleep(50);
          order.push('start done');
        });
        b.onResolve({ filter: /^v/ }, (a) => ({ path: a.path, namespace: 'v' }));
        b.onLoad({ filter: /.*/, namespace: 'v' }, () => {
          order.push('load');
          return { contents: 'let = ;' };
        });
        b.onEnd((r) => void order.push(`end ${r.errors.length}`));
      },
    };
    await expect(esbuild.build({ ...entry(1), plugins: [plugin] })).rejects.toThrow();
    expect(order).toEqual(['start done', 'load', 'end 1']);
  });
});

describe('without a jobserver', () => {
  it('changes nothing: no waiting, no service of its own, the same output', async () => {
    const client = JobClient.fromEnv({ env: {} });
    const limiter = createLimiter(client);
    cleanups.push(() => limiter.close());
    expect(limiter.limited).toBe(false);
    const counter = buildCounter();
    const starts = serviceState(esbuild).starts;
    const plain = await esbuild.build({ ...entry(3), plugins: [virtualModules(3, 0)] });
    await esbuild.stop();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => build({ ...entry(3), plugins: [counter.plugin, jobslot({ limiter, plugins: [virtualModules(3, 50)] })] })),
    );
    expect(counter.peak, 'all ten ran at once').toBe(10);
    for (const r of results) expect(r.outputFiles![0]!.text).toBe(plain.outputFiles![0]!.text);
    expect(serviceState(esbuild)).toMatchObject({ starts, slots: 0 });
    const [pid] = esbuildServiceChildren()!;
    expect(gomaxprocsOf(pid!), 'esbuild keeps its default').toBe(process.env.GOMAXPROCS);
  });
});

describe('builds in slots (the plugin alone)', () => {
  it('ten builds started at once with one plugin: at most 1 + held at a time, every slot back', async () => {
    const { limiter } = jobserver(3);
    const counter = buildCounter();
    counter.onRun = () => expect(counter.running).toBeLessThanOrEqual(limiter.active);
    const plugin = jobslot({ limiter });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => esbuild.build({ ...entry(4), plugins: [plugin, counter.plugin, virtualModules(4, 30)] })),
    );
    expect(results.every((r) => r.errors.length === 0)).toBe(true);
    expect(counter.peak).toBeLessThanOrEqual(3);
    expect(counter.peak, 'the tokens were used').toBeGreaterThan(1);
    expect(limiter.active).toBe(0);
    expect(limiter.client.held).toBe(0);
  });

  it('ten plugin instances over one client share its limit (inline `plugins: [jobslot({ client })]`)', async () => {
    const { client } = jobserver(2);
    const counter = buildCounter();
    await Promise.all(
      Array.from({ length: 10 }, () => esbuild.build({ ...entry(2), plugins: [jobslot({ client }), counter.plugin, virtualModules(2, 20)] })),
    );
    expect(counter.peak).toBeLessThanOrEqual(2);
    expect(client.held).toBe(0);
  });

  it('`max` caps the builds of an instance below what the jobserver would give', async () => {
    const { client } = jobserver(4);
    const counter = buildCounter();
    const plugin = jobslot({ client, max: 2 });
    await Promise.all(Array.from({ length: 6 }, () => esbuild.build({ ...entry(2), plugins: [plugin, counter.plugin, virtualModules(2, 30)] })));
    expect(counter.peak).toBe(2);
  });

  it('a context in watch mode holds nothing while idle, and takes a slot for each rebuild', async () => {
    const { server, limiter } = jobserver(2);
    const dir = mkdtempSync(join(tmpdir(), 'jobslot-esbuild-watch-'));
    writeFileSync(join(dir, 'a.js'), 'export const a = 1;\n');
    const ends: Array<{ active: number }> = [];
    const seenInBuild: number[] = [];
    const probe: Plugin = {
      name: 'probe',
      setup(b) {
        b.onLoad({ filter: /a\.js$/ }, () => {
          seenInBuild.push(limiter.active);
          return undefined;
        });
        b.onEnd(() => void ends.push({ active: limiter.active }));
      },
    };
    const ctx = await esbuild.context({ entryPoints: [join(dir, 'a.js')], outdir: join(dir, 'out'), plugins: [jobslot({ limiter }), probe], logLevel: 'silent' });
    cleanups.push(() => ctx.dispose());
    await ctx.watch();
    await until(() => ends.length >= 1, 'the first watch build');
    await sleep(50);
    expect(limiter.active, 'idle watcher holds no slot').toBe(0);
    expect(limiter.client.held).toBe(0);
    // While a rival holds the only token, the rebuild runs in the process's own slot.
    const release = rival(server, 1);
    writeFileSync(join(dir, 'a.js'), 'export const a = 2;\n');
    await until(() => ends.length >= 2, 'the rebuild after a change', 10_000);
    release();
    expect(seenInBuild.every((n) => n >= 1), `slots during builds: ${seenInBuild}`).toBe(true);
    await sleep(50);
    expect(limiter.active).toBe(0);
    await ctx.dispose();
  });

  it('a context disposed while its build waits for a slot gives everything back', async () => {
    const { server, limiter } = jobserver(1);
    // Someone else in the process holds the only slot.
    const slot = await limiter.acquire();
    const ctx = await esbuild.context({ ...entry(1), plugins: [jobslot({ limiter }), virtualModules(1, 0)] });
    const rebuilt = ctx.rebuild().then(
      () => 'built',
      () => 'failed',
    );
    await sleep(100);
    expect(limiter.pending).toBe(1);
    const disposed = ctx.dispose();
    await sleep(100);
    slot.release();
    await disposed;
    expect(['built', 'failed']).toContain(await rebuilt);
    await until(() => limiter.active === 0 && limiter.pending === 0, 'nothing held or queued');
    void server;
  });
});

describe('governed plugins (`jobslot({ plugins })`)', () => {
  it('their callbacks run at most 1 + held at once, and use the tokens there are', async () => {
    const { limiter } = jobserver(3);
    const seen = { running: 0, peak: 0, check: () => expect(seen.running).toBeLessThanOrEqual(limiter.active) };
    const result = await esbuild.build({ ...entry(24), plugins: [jobslot({ limiter, plugins: [virtualModules(24, 15, seen)] })] });
    expect(result.errors).toEqual([]);
    expect(seen.peak).toBeLessThanOrEqual(3);
    expect(seen.peak).toBeGreaterThan(1);
  });

  it('with one slot in all: no deadlock through build.resolve() or a nested build in a callback', async () => {
    const { limiter } = jobserver(1);
    const seen = { running: 0, peak: 0 };
    const nesting: Plugin = {
      name: 'nesting',
      setup(b) {
        b.onResolve({ filter: /^n\d+$/ }, (a) => ({ path: a.path, namespace: 'n' }));
        b.onLoad({ filter: /.*/, namespace: 'n' }, async (a) => {
          seen.running++;
          seen.peak = Math.max(seen.peak, seen.running);
          try {
            // Runs every onResolve callback again, in esbuild's own async context.
            const resolved = await b.resolve('v0', { kind: 'import-statement', resolveDir: '/' });
            // A whole build from inside a callback (a worker bundle, say), with its own governed plugin.
            const inner = await build({ ...entry(2), plugins: [jobslot({ limiter, plugins: [virtualModules(2, 5)] })] });
            return { contents: `export default ${JSON.stringify(`${a.path} ${resolved.namespace} ${inner.outputFiles!.length}`)};` };
          } finally {
            seen.running--;
          }
        });
      },
    };
    const result = await esbuild.build({
      stdin: { contents: "import a from 'n0'; import b from 'n1'; console.log(a, b);", resolveDir: '/' },
      bundle: true,
      write: false,
      plugins: [jobslot({ limiter, plugins: [nesting, virtualModules(1, 0)] })],
    });
    expect(result.outputFiles![0]!.text).toContain('n0 v 1');
    // Two callbacks may be in progress, but one of them is waiting in build.resolve() or a nested build.
    expect(seen.peak).toBeLessThanOrEqual(2);
  });

  it('a failing build gives its slot back: an exception, a rejected promise, a syntax error', async () => {
    const { client, limiter } = jobserver(3);
    const failing = (how: 'throw' | 'reject' | 'syntax'): Plugin => ({
      name: `failing-${how}`,
      setup(b) {
        b.onResolve({ filter: /^v\d+$/ }, (a) => ({ path: a.path, namespace: 'v' }));
        b.onLoad({ filter: /.*/, namespace: 'v' }, (a) => {
          if (a.path !== 'v1') return { contents: 'export default 1;' };
          if (how === 'throw') throw new Error('thrown in a governed plugin');
          if (how === 'reject') return Promise.reject(new Error('rejected in a governed plugin'));
          return { contents: 'export default = ;' };
        });
      },
    });
    for (const how of ['throw', 'reject', 'syntax'] as const) {
      const failed = await build({ ...entry(4), plugins: [jobslot({ limiter, max: 3, plugins: [failing(how)] })] }).catch((e: unknown) => e as esbuild.BuildFailure);
      expect(failed, how).toBeInstanceOf(Error);
      const [error] = (failed as esbuild.BuildFailure).errors;
      if (how !== 'syntax') expect(error!.pluginName, 'the message names the plugin that failed').toBe(`failing-${how}`);
      expect(limiter.active, how).toBe(0);
      expect(client.held, how).toBe(0);
    }
  });

  it('leaves the output byte for byte as without them', async () => {
    const { limiter } = jobserver(3);
    const dir = mkdtempSync(join(tmpdir(), 'jobslot-esbuild-same-'));
    mkdirSync(join(dir, 'src'));
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'src', `m${i}.ts`), `${i + 1 < 20 ? `import { f${i + 1} } from './m${i + 1}';\n` : ''}export const f${i} = (x: number): number => ${i + 1 < 20 ? `f${i + 1}(x) + ${i}` : 'x'};\n`);
    const reader: Plugin = {
      name: 'reader',
      setup(b) {
        b.onLoad({ filter: /\.ts$/ }, async (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'ts' }));
      },
    };
    const options = { entryPoints: [join(dir, 'src/m0.ts')], bundle: true, minify: true, sourcemap: true, outdir: join(dir, 'out'), write: false, metafile: true };
    const plain = await esbuild.build({ ...options, plugins: [reader] });
    const governed = await build({ ...options, plugins: [jobslot({ limiter, plugins: [reader] })] });
    expect(governed.outputFiles!.map((f) => f.path)).toEqual(plain.outputFiles!.map((f) => f.path));
    for (const [i, f] of governed.outputFiles!.entries()) expect(Buffer.compare(f.contents, plain.outputFiles![i]!.contents), f.path).toBe(0);
  });
});

describe('`build` and `context`: esbuild’s Go threads follow the slots', () => {
  it('starts the service with GOMAXPROCS = the slots held, and restarts it when that changes and nothing is in flight', async () => {
    const { server, limiter, client } = jobserver(4);
    const plugin = jobslot({ limiter, max: 4 });
    const during: Array<{ threads: string | undefined; slots: number; active: number }> = [];
    const probe: Plugin = {
      name: 'probe',
      setup(b) {
        b.onLoad({ filter: /.*/, namespace: 'v' }, () => {
          const { pid, slots } = serviceState(esbuild);
          during.push({ threads: gomaxprocsOf(pid!), slots, active: limiter.active });
          return undefined;
        });
      },
    };
    const run = () => build({ ...entry(1), plugins: [plugin, virtualModules(1, 0), probe] });
    const starts = serviceState(esbuild).starts;

    await run();
    const first = serviceState(esbuild);
    expect(first).toMatchObject({ threads: 4, starts: starts + 1, slots: 0, inFlight: 0 });
    expect(gomaxprocsOf(first.pid!)).toBe('4');
    expect(client.held, 'idle: every token back').toBe(0);

    // Same tokens free: the service stays.
    await run();
    expect(serviceState(esbuild)).toMatchObject({ pid: first.pid, starts: starts + 1 });

    // Another job takes two tokens: the next build restarts the service with 2 threads.
    const release = rival(server, 2);
    await run();
    const second = serviceState(esbuild);
    expect(second).toMatchObject({ threads: 2, starts: starts + 2 });
    expect(second.pid).not.toBe(first.pid);
    expect(gomaxprocsOf(second.pid!)).toBe('2');
    release();

    for (const d of during) {
      expect(Number(d.threads), JSON.stringify(d)).toBeLessThanOrEqual(d.slots);
      expect(d.slots).toBeLessThanOrEqual(d.active);
    }
    expect(process.env.GOMAXPROCS, 'the script’s own environment is untouched').toBe(undefined);
  });

  it('never restarts under a build in flight: a build that joins holds its slot and keeps the threads covered', async () => {
    const { server, limiter } = jobserver(3);
    const plugin = jobslot({ limiter, max: 3 });
    const slow = build({ ...entry(6), plugins: [plugin, virtualModules(6, 40)] });
    await until(() => serviceState(esbuild).inFlight === 1, 'the first build');
    const started = serviceState(esbuild);
    expect(started).toMatchObject({ threads: 3, slots: 3 });
    expect(limiter.client.held, 'every token, for the threads').toBe(2);
    // The second build takes a slot the threads hold and runs on the service as it is.
    const second = build({ ...entry(2), plugins: [plugin, virtualModules(2, 10)] });
    await until(() => serviceState(esbuild).inFlight === 2, 'the second build to join');
    expect(serviceState(esbuild)).toMatchObject({ pid: started.pid, starts: started.starts, slots: 3 });
    await Promise.all([slow, second]);
    expect(serviceState(esbuild)).toMatchObject({ pid: started.pid, starts: started.starts, inFlight: 0, slots: 0 });
    void server;
  });

  it('never restarts before a finished build has its result: a build started at its onEnd joins the service', async () => {
    const { server, limiter } = jobserver(2);
    const plugin = jobslot({ limiter, max: 2 });
    // A starts while another job holds the only token: one Go thread.
    const release = rival(server, 1);
    let c: Promise<unknown> | undefined;
    // Registered after jobslot's onEnd: the token comes free and C starts just as A ends,
    // before esbuild has sent A its result.
    const startAtEnd: Plugin = {
      name: 'start-at-end',
      setup(b) {
        b.onEnd(() => {
          if (c) return;
          release();
          c = build({ ...entry(1), plugins: [plugin, virtualModules(1, 0)] });
        });
      },
    };
    const a = build({ ...entry(2), plugins: [plugin, startAtEnd, virtualModules(2, 10)] });
    await until(() => serviceState(esbuild).inFlight === 1, 'A in flight');
    const started = serviceState(esbuild);
    expect(started.threads).toBe(1);
    const ra = await a.then(
      () => 'built',
      (e: Error) => e.message,
    );
    expect(ra).toBe('built');
    expect(await c!.then(() => 'built')).toBe('built');
    expect(serviceState(esbuild).starts, 'C joined the running service').toBe(started.starts);
  });

  it('context(): rebuilds in slots; a restart makes the context again on the new service', async () => {
    const { server, limiter, client } = jobserver(3);
    const ctx = await context({ ...entry(2), plugins: [jobslot({ limiter, max: 3 }), virtualModules(2, 0)] });
    cleanups.push(() => ctx.dispose());
    const made = serviceState(esbuild);
    expect(made).toMatchObject({ threads: 3, inFlight: 0, slots: 0 });
    const a = await ctx.rebuild();
    expect(a.errors).toEqual([]);
    const release = rival(server, 2);
    // Only the process's own slot now: the service restarts with one thread, the context comes back.
    const b = await ctx.rebuild();
    expect(b.outputFiles![0]!.text).toBe(a.outputFiles![0]!.text);
    const state = serviceState(esbuild);
    expect(state).toMatchObject({ threads: 1, starts: made.starts + 1 });
    expect(gomaxprocsOf(state.pid!)).toBe('1');
    release();
    await ctx.dispose();
    expect(client.held).toBe(0);
    expect(limiter.active).toBe(0);
  });

  it('does not restart a service that a plain esbuild.context() with the plugin still uses', async () => {
    const { server, limiter } = jobserver(3);
    const plugin = jobslot({ limiter, max: 3 });
    await build({ ...entry(1), plugins: [plugin, virtualModules(1, 0)] });
    const plainCtx = await esbuild.context({ ...entry(1), plugins: [plugin, virtualModules(1, 0)] });
    cleanups.push(() => plainCtx.dispose());
    const before = serviceState(esbuild);
    const release = rival(server, 2);
    await build({ ...entry(1), plugins: [plugin, virtualModules(1, 0)] });
    expect(serviceState(esbuild).starts, 'kept').toBe(before.starts);
    expect((await plainCtx.rebuild()).errors).toEqual([]);
    release();
    await plainCtx.dispose();
  });
});
