// @jobslot/vite-plugin/rollup against real rollup 4 and rolldown 1 builds in
// this process, on a real jobserver (core's createJobserver, a fifo). The
// make-driven end-to-end tests are test/rollup.test.ts and test/rolldown.test.ts.
import { createLimiter, JobClient } from '@jobslot/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jobslot } from '../src/rollup.js';
import { jobslot as vitePlugin } from '../src/index.js';
import { counting } from './counting.js';
import { tempDir, testJobserver } from '@jobslot/e2e/support';
// @ts-expect-error plain JS fixtures, shared with the end-to-end tests
import { writeApp } from '@jobslot/e2e/fixtures/rollup/app.mjs';

vi.setConfig({ testTimeout: 60_000 });

let cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.reverse().forEach((f) => f());
  cleanup = [];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ORIGINAL = Symbol.for('jobslot.vite.originalHook');
/** Whether jobslot wrapped this hook (a function or a hook object). */
function isGoverned(hook: unknown): boolean {
  const fn = typeof hook === 'function' ? hook : (hook as { handler?: unknown } | undefined)?.handler;
  return typeof fn === 'function' && (fn as { [ORIGINAL]?: unknown })[ORIGINAL] !== undefined;
}

type OnLog = (level: string, log: { message: string }) => void;

const TOOLS = {
  rollup: async (input: Record<string, string>, plugins: unknown[], outputPlugins: unknown[], onLog?: OnLog) => {
    const { rollup } = await import('rollup');
    const bundle = await rollup({ input, plugins: plugins as never, ...(onLog ? { onLog } : { logLevel: 'silent' }) });
    try {
      await bundle.generate({ dir: 'dist', plugins: outputPlugins as never });
    } finally {
      await bundle.close();
    }
  },
  rolldown: async (input: Record<string, string>, plugins: unknown[], outputPlugins: unknown[], onLog?: OnLog) => {
    const { rolldown } = await import('rolldown');
    const bundle = await rolldown({ input, plugins: plugins as never, ...(onLog ? { onLog } : { logLevel: 'silent' }) });
    try {
      await bundle.generate({ dir: 'dist', plugins: outputPlugins as never });
    } finally {
      await bundle.close();
    }
  },
};

describe.each(Object.keys(TOOLS) as Array<keyof typeof TOOLS>)('in a real %s build', (tool) => {
  const build = TOOLS[tool];
  const app = () => {
    const dir = tempDir(`jobslot-${tool}-unit-`);
    const input = writeApp(dir, { entries: 6, perEntry: 2, functions: 2 }) as Record<string, string>;
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, `${dir}/${v}`]));
  };

  it('governs input plugins (nested, as promises) and output plugins, at most 1 + tokens at once, every token back', async () => {
    const served = testJobserver(2);
    const transform = counting('transforms', 'transform');
    const render = counting('renders', 'renderChunk');
    // plugins as users write them: nested arrays, a promise, false for one turned off.
    await build(app(), [jobslot({ limiter: served.limiter }), [Promise.resolve(transform.plugin), false]], [[render.plugin]]);
    expect(transform.stats().calls).toBe(12);
    expect(transform.stats().peak).toBeLessThanOrEqual(2);
    expect(render.stats().calls).toBeGreaterThanOrEqual(6);
    expect(render.stats().peak).toBeLessThanOrEqual(2);
    // Wrapped before the tool read the hooks: every call went through a slot.
    expect(transform.stats().inSlot).toBe(transform.stats().calls);
    expect(render.stats().inSlot).toBe(render.stats().calls);
    const hook = transform.plugin.transform as { filter: unknown; handler: unknown };
    expect(hook.filter).toEqual({ id: /\/m\d+\.js$/ }); // a filtered hook keeps its filter
    expect(isGoverned(hook)).toBe(true);
    expect(isGoverned(render.plugin.renderChunk)).toBe(true);
    expect(served.client.held).toBe(0);
    expect(served.close()).toMatchObject({ returned: 1, lost: 0 });
  });

  it('without a jobserver it changes nothing', async () => {
    const limiter = createLimiter(JobClient.fromEnv({ env: {} }));
    const transform = counting('transforms', 'transform');
    await build(app(), [jobslot({ limiter }), transform.plugin], []);
    expect((transform.plugin.transform as { handler: unknown }).handler).toBe(transform.handler);
  });

  it("the vite plugin put here by mistake: one warning that names '@jobslot/vite-plugin/rollup'", async () => {
    const served = testJobserver(2);
    cleanup.push(() => served.close());
    const logs: string[] = [];
    const transform = counting('transforms', 'transform');
    await build(app(), [vitePlugin({ limiter: served.limiter }), transform.plugin], [], (level, log) => void logs.push(`${level}: ${log.message}`));
    const warnings = logs.filter((l) => l.includes('@jobslot/vite-plugin/rollup'));
    expect(warnings, logs.join('\n')).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warn: .*governs nothing here/);
  });

  it('a failing transform: the calls still waiting for a slot are cancelled, no slot kept', async () => {
    const served = testJobserver(1);
    let started = 0;
    const failing = {
      name: 'failing',
      async transform(_code: string, id: string) {
        if (!/\/m\d+\.js$/.test(id)) return null;
        started++;
        await sleep(5);
        throw new Error('failing: no');
      },
    };
    await expect(build(app(), [jobslot({ limiter: served.limiter }), failing], [])).rejects.toThrow(/failing: no/);
    await sleep(50);
    // One slot: the first call fails the build; under rollup, those queued behind it
    // never start. rolldown goes on with the modules it has found and reports every
    // error at the end (buildEnd comes last): there they all run, in slots.
    if (tool === 'rollup') expect(started).toBeLessThan(12);
    expect(started).toBeGreaterThan(0);
    expect(served.client.held).toBe(0);
    expect(served.close()).toMatchObject({ lost: 0 });
  });
});

describe('options', () => {
  it('workerPools is for vite: a TypeError that says so', () => {
    expect(() => jobslot({ workerPools: true } as never)).toThrow(/workerPools.*vite/);
  });
  it('a misspelt option is a TypeError naming it', () => {
    expect(() => jobslot({ hook: ['transform'] } as never)).toThrow(TypeError);
    expect(() => jobslot({ hooks: ['generateBundle'] } as never)).toThrow(/hooks/);
  });
});
