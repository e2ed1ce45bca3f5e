// The plugin's parts against real things in this process: a real jobserver
// (core's createJobserver, a fifo), the real limiter, and real vite 8 and
// vite 7 builds. The make-driven end-to-end tests are in test/vite-plugin.test.ts.
import { AsyncResource } from 'node:async_hooks';
import { createLimiter, JobClient, type Limiter } from '@jobslot/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callInSlot, type Hook } from '../src/gate.js';
import { jobslot } from '../src/index.js';
import { wrapPlugin } from '../src/wrap.js';
import { tempDir, testJobserver } from '@jobslot/e2e/support';
// @ts-expect-error plain JS fixtures, shared with the end-to-end tests
import { writeApp } from '@jobslot/e2e/fixtures/vite-plugin/app.mjs';
// @ts-expect-error
import { heavy } from '@jobslot/e2e/fixtures/vite-plugin/heavy-plugin.mjs';

// In-process vite builds take a second or more on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

let cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.reverse().forEach((f) => f());
  cleanup = [];
});

/** A real fifo jobserver with `jobs` slots, a client and a limiter on it. */
function jobserver(jobs: number) {
  const served = testJobserver(jobs);
  cleanup.push(() => served.close());
  return served;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** One turn of the event loop: slots no hook call uses go back by then (warm.ts). */
const turn = () => new Promise((r) => setImmediate(r));
const ORIGINAL = Symbol.for('jobslot.vite.originalHook');

/** Calls from outside any slot's async context, as rolldown's Rust side calls JS hooks. */
const fromOutside = <T>(fn: () => T): T => new AsyncResource('outside').runInAsyncScope(fn);

/** Hook calls in slots of `limiter`, as the plugin makes them (core's limiter.run and the hook's current hold). */
function hookGate(limiter: Limiter) {
  return { call: (hook: Hook, ctx: unknown, args: unknown[], signal?: AbortSignal) => callInSlot(limiter, hook, ctx, args, signal) };
}

describe('hook calls in slots', () => {
  function counting(limiter: Limiter) {
    const gate = hookGate(limiter);
    let running = 0;
    let peak = 0;
    const hook: Hook = async function () {
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
    };
    return { gate, hook, peak: () => peak };
  }

  it('a slot one call ends is the next call\'s: tokens are not read and written back per hook call', async () => {
    // rollup 4 (vite 5 to 7) calls the next module's hooks as soon as the one before ends: two
    // lanes of 30 calls each, overlapping. Each call taking a token of its own read 30 tokens
    // (and wrote them back) where one does.
    const { limiter, client, server } = jobserver(2);
    let taken = 0;
    const tryAcquire = client.tryAcquire.bind(client);
    vi.spyOn(client, 'tryAcquire').mockImplementation(() => {
      const token = tryAcquire();
      if (token) taken++;
      return token;
    });
    const gate = hookGate(limiter);
    let running = 0;
    let peak = 0;
    const hook: Hook = async function () {
      peak = Math.max(peak, ++running);
      await sleep(1);
      running--;
    };
    const lane = async () => {
      for (let i = 0; i < 30; i++) await gate.call(hook, {}, []);
    };
    await Promise.all([lane(), lane()]);
    expect(peak).toBe(2);
    expect(taken).toBeLessThanOrEqual(3);
    await turn();
    expect(client.held).toBe(0);
    client.close();
    expect(server.close()).toMatchObject({ returned: 1, lost: 0 });
  });

  it('runs at most 1 + tokens hook calls at once', async () => {
    const { limiter, client, server } = jobserver(3);
    const { gate, hook, peak } = counting(limiter);
    await Promise.all(Array.from({ length: 12 }, () => gate.call(hook, {}, [])));
    expect(peak()).toBe(3);
    await turn();
    expect(client.held).toBe(0);
    client.close();
    expect(server.close()).toMatchObject({ returned: 2, lost: 0 });
  });

  it('a hook awaiting this.load() gives its slot back, so the loaded module runs (one slot in all)', async () => {
    const { limiter } = jobserver(1);
    const gate = hookGate(limiter);
    const order: string[] = [];
    const inner: Hook = async function () {
      order.push('inner');
      return 'inner done';
    };
    // The bundler's this.load: the other module's hook, called from a fresh context.
    const ctx = { load: () => fromOutside(() => gate.call(inner, {}, [])) };
    const outer: Hook = async function (this: unknown) {
      order.push('outer start');
      const loaded = await (this as typeof ctx).load();
      order.push('outer end');
      return loaded;
    };
    const result = await Promise.race([gate.call(outer, ctx, []), sleep(2000).then(() => 'deadlock')]);
    expect(result).toBe('inner done');
    expect(order).toEqual(['outer start', 'inner', 'outer end']);
    await turn();
    expect(limiter.active).toBe(0);
  });

  it('the hook goes on after this.load() only once it has a slot again', async () => {
    const { limiter } = jobserver(1);
    const gate = hookGate(limiter);
    let running = 0;
    let peak = 0;
    const busy = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(5);
      running--;
    };
    const ctx = { load: () => sleep(5) };
    const hook: Hook = async function (this: unknown) {
      await busy();
      await (this as typeof ctx).load();
      await busy();
    };
    await Promise.all(Array.from({ length: 6 }, () => fromOutside(() => gate.call(hook, ctx, []))));
    expect(peak).toBe(1);
  });

  it('a hook that calls another governed hook directly runs it in its own slot', async () => {
    const { limiter } = jobserver(1);
    const gate = hookGate(limiter);
    const inner: Hook = async () => 'nested';
    const outer: Hook = async () => gate.call(inner, {}, []);
    expect(await Promise.race([gate.call(outer, {}, []), sleep(2000).then(() => 'deadlock')])).toBe('nested');
  });

  it('an aborted session cancels the calls still waiting, and leaks no slot', async () => {
    const { limiter, client } = jobserver(1);
    const gate = hookGate(limiter);
    const session = new AbortController();
    let release!: () => void;
    const blocker: Hook = () => new Promise<void>((r) => (release = r));
    const running = gate.call(blocker, {}, [], session.signal);
    await sleep(5);
    let ran = false;
    const waiting = gate.call(async () => (ran = true), {}, [], session.signal);
    session.abort(new Error('build ended'));
    await expect(waiting).rejects.toThrow();
    release();
    await running;
    expect(ran).toBe(false);
    await turn();
    expect(limiter.active).toBe(0);
    expect(limiter.pending).toBe(0);
    expect(client.held).toBe(0);
  });

  it("the hook's this reaches the real context, private fields and all", async () => {
    const { limiter } = jobserver(2);
    const gate = hookGate(limiter);
    class Context {
      #secret = 7;
      meta = { watchMode: false };
      secret() {
        return this.#secret;
      }
    }
    const ctx = new Context();
    const hook: Hook = function (this: unknown) {
      const c = this as Context & { added?: number };
      c.added = 1;
      return [c.secret(), c.meta.watchMode, c.secret === c.secret];
    };
    expect(await gate.call(hook, ctx, [])).toEqual([7, false, true]);
    expect((ctx as Context & { added?: number }).added).toBe(1);
  });
});

describe('wrapPlugin', () => {
  it('keeps filter, order and the rest of a hook object; wraps function hooks as functions', async () => {
    const filter = { id: /\.js$/ };
    const handler = function transform() {
      return 'x';
    };
    const plugin = { name: 'p', transform: { order: 'pre', filter, handler }, load: () => 'src', resolveId: () => null };
    const calls: string[] = [];
    const wrapped = wrapPlugin(plugin, ['transform', 'load', 'renderChunk'], async (original, ctx, args) => {
      calls.push(original.name);
      return original.apply(ctx, args);
    });
    expect(wrapped).toEqual(['transform', 'load']);
    expect(plugin.transform.order).toBe('pre');
    expect(plugin.transform.filter).toBe(filter);
    expect(plugin.transform.handler).not.toBe(handler);
    expect(typeof plugin.load).toBe('function');
    expect(await plugin.transform.handler()).toBe('x');
    expect(await (plugin.load as () => Promise<string>)()).toBe('src');
    expect(calls).toEqual(['transform', 'load']);
  });

  it('wrapping again wraps the original, never the wrapper', () => {
    const handler = () => 'x';
    const plugin: Record<string, unknown> = { name: 'p', transform: handler };
    const run = async () => undefined;
    wrapPlugin(plugin, ['transform'], run);
    const first = plugin.transform as { [ORIGINAL]: unknown };
    wrapPlugin(plugin, ['transform'], run);
    const second = plugin.transform as { [ORIGINAL]: unknown };
    expect(second).not.toBe(first);
    expect(second[ORIGINAL]).toBe(handler);
  });
});

// In-process builds use vite 8 only: vite 7 (the `vite7` alias) fails to load
// inside vitest's module runner (`picomatch is not a function` in its bundled
// interop). test/vite-plugin.test.ts runs both in plain node processes.
const loadVite = async () => await import('vite');

describe.each(['vite'] as const)('in a real %s build', () => {
  const load = () => loadVite();

  it('governs the heavy transform, keeps hook filters and order, leaves builtin: plugins alone', async () => {
    const vite = await load();
    const { limiter, client, server } = jobserver(3);
    const app = writeApp(tempDir('jobslot-vite-unit-'), { modules: 12 }) as string;
    const before = new Map<unknown, unknown>();
    let after: ReadonlyArray<Record<string, unknown>> = [];
    let inflight = 0;
    let peak = 0;
    const ordered = {
      name: 'ordered',
      transform: {
        order: 'pre' as const,
        filter: { id: /main\.js$/ },
        async handler() {
          inflight++;
          peak = Math.max(peak, inflight);
          await sleep(5);
          inflight--;
          return null;
        },
      },
    };
    const counted = {
      name: 'counted',
      async transform(_code: string, id: string) {
        if (!/\/m\d+\.js$/.test(id)) return null;
        inflight++;
        peak = Math.max(peak, inflight);
        await sleep(10);
        inflight--;
        return null;
      },
    };
    const result = (await vite.build({
      root: app,
      configFile: false,
      logLevel: 'silent',
      build: { write: false },
      plugins: [
        // Before jobslot, so its configResolved sees the hooks as they were.
        {
          name: 'snapshot',
          configResolved(config: { plugins: ReadonlyArray<Record<string, unknown>> }) {
            for (const p of config.plugins) before.set(p, p.transform);
          },
        },
        jobslot({ limiter }),
        heavy({ ms: 1 }),
        ordered,
        counted,
        {
          name: 'after',
          buildStart(this: { environment?: { getTopLevelConfig(): { plugins: ReadonlyArray<Record<string, unknown>> } } }) {
            after = this.environment!.getTopLevelConfig().plugins;
          },
        },
      ],
    })) as unknown;
    expect(result).toBeTruthy();
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(1);

    const byName = (n: string) => after.find((p) => p.name === n)!;
    const orderedHook = byName('ordered').transform as { order: string; filter: unknown; handler: { [ORIGINAL]?: unknown } };
    expect(orderedHook.order).toBe('pre');
    expect(orderedHook.filter).toBe(ordered.transform.filter);
    expect(orderedHook.handler[ORIGINAL]).toBeDefined();
    expect((byName('counted').transform as { [ORIGINAL]?: unknown })[ORIGINAL]).toBeDefined();
    const heavyHook = byName('heavy').transform as { filter: unknown; handler: { [ORIGINAL]?: unknown } };
    expect(heavyHook.filter).toEqual({ id: /\/m\d+\.js$/ });
    expect(heavyHook.handler[ORIGINAL]).toBeDefined();
    for (const p of after) {
      if (typeof p.name === 'string' && p.name.startsWith('builtin:')) expect(p.transform).toBe(before.get(p));
    }
    expect(client.held).toBe(0);
    client.close();
    expect(server.close()).toMatchObject({ returned: 2, lost: 0 });
  });

  it('without a jobserver it changes nothing', async () => {
    const vite = await load();
    const limiter = createLimiter(JobClient.fromEnv({ env: {} }));
    const app = writeApp(tempDir('jobslot-vite-unit-'), { modules: 3 }) as string;
    const handler = async () => null;
    const mine = { name: 'mine', transform: handler };
    let resolved: { build: { terserOptions: { maxWorkers?: number } }; css: { preprocessorMaxWorkers?: unknown } } | undefined;
    await vite.build({
      root: app,
      configFile: false,
      logLevel: 'silent',
      build: { write: false },
      plugins: [jobslot({ limiter }), mine, { name: 'r', configResolved: (c: typeof resolved) => void (resolved = c) }],
    });
    expect(mine.transform).toBe(handler);
    expect(resolved!.build.terserOptions.maxWorkers).toBeUndefined();
    expect(resolved!.css.preprocessorMaxWorkers).toBe(true);
  });
});

describe('options', () => {
  it('exclude leaves the named plugins alone; hooks picks which hooks', async () => {
    const vite = await loadVite();
    const { limiter } = jobserver(2);
    const app = writeApp(tempDir('jobslot-vite-unit-'), { modules: 2 }) as string;
    const keep = async () => null;
    const a = { name: 'left-alone', transform: keep };
    const b = { name: 'governed', transform: async () => null, load: async () => null };
    const bLoad = b.load;
    await vite.build({
      root: app,
      configFile: false,
      logLevel: 'silent',
      build: { write: false },
      plugins: [jobslot({ limiter, exclude: [/^left-/], hooks: ['transform'] }), a, b],
    });
    expect(a.transform).toBe(keep);
    expect((b.transform as { [ORIGINAL]?: unknown })[ORIGINAL]).toBeDefined();
    expect(b.load).toBe(bLoad);
  });
});
