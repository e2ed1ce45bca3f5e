// Output plugins of a vite build (`build.rollupOptions.output.plugins`, an
// output of an array of them; vite 8's `build.rolldownOptions`), governed by
// the vite plugin's outputOptions hook: real vite 5.4.0, 7 and 8 builds in
// this process on a real jobserver (core's createJobserver, a fifo). Built
// twice from the same config objects (a second build: watch mode, a script
// that builds again), and through vite's builder with two environments. The
// make-driven end-to-end test is test/vite-output-plugins.test.ts.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jobslot } from '../src/index.js';
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

const ORIGINAL = Symbol.for('jobslot.vite.originalHook');
/** One turn of the event loop: slots no hook call uses go back by then (warm.ts). */
const turn = () => new Promise((r) => setImmediate(r));

interface ViteLike {
  version: string;
  build(config: object): Promise<unknown>;
  createBuilder?(config: object): Promise<{ buildApp(): Promise<unknown> }>;
}
const VITES = { vite5: '5.', vite7: '7.', vite: '8.' } as const;
const loadVite = async (alias: keyof typeof VITES): Promise<ViteLike> =>
  (await import(pathToFileURL(join(import.meta.dirname, '../node_modules', alias, 'dist/node/index.js')).href)) as ViteLike;

/** The rollup test app: four entries, each its own chunk, plus a shared one. */
function app() {
  const dir = tempDir('jobslot-vite-output-');
  const input = writeApp(dir, { entries: 4, perEntry: 1, functions: 2 }) as Record<string, string>;
  return { dir, input: Object.fromEntries(Object.entries(input).map(([k, v]) => [k, join(dir, v)])) };
}

describe.each(Object.keys(VITES) as Array<keyof typeof VITES>)('%s', (alias) => {
  it('governs output plugins of an array of outputs (nested, behind a promise, false), in a second build too, wrapped once', async () => {
    const vite = await loadVite(alias);
    expect(vite.version.startsWith(VITES[alias])).toBe(true);
    const served = testJobserver(2);
    cleanup.push(() => served.close());
    const { dir, input } = app();
    const a = counting('renders-a', 'renderChunk');
    const b = counting('renders-b', 'renderChunk');
    // vite 8 reads build.rolldownOptions (build.rollupOptions is the same object there).
    const key = alias === 'vite' ? 'rolldownOptions' : 'rollupOptions';
    const config = {
      root: dir,
      configFile: false,
      logLevel: 'silent',
      plugins: [jobslot({ limiter: served.limiter })],
      build: {
        write: false,
        minify: false,
        [key]: {
          input,
          output: [
            { format: 'es', plugins: [a.plugin] },
            { format: 'cjs', plugins: [false, [Promise.resolve(b.plugin)]] },
          ],
        },
      },
    };
    await vite.build(config);
    const first = { a: a.stats(), b: b.stats() };
    await vite.build(config); // the same plugin objects, already wrapped once
    for (const s of [a.stats(), b.stats()]) {
      expect(s.calls).toBeGreaterThanOrEqual(2 * 4); // two builds of four chunks or more
      expect(s.inSlot).toBe(s.calls); // every call, both builds, in a slot
      expect(s.peak).toBeLessThanOrEqual(2);
    }
    expect(a.stats().calls).toBe(2 * first.a.calls);
    // Wrapped around the original, never around the wrapper.
    for (const c of [a, b]) expect((c.plugin.renderChunk as { [ORIGINAL]?: unknown })[ORIGINAL]).toBe(c.handler);
    await turn();
    expect(served.client.held).toBe(0);
    expect(served.close()).toMatchObject({ lost: 0 });
  });

  it.skipIf(alias === 'vite5')("vite's builder, client and ssr environments: a shared output plugin, build.rollupOptions.plugins and an environment's own, governed in both", async () => {
    const vite = await loadVite(alias);
    const served = testJobserver(2);
    cleanup.push(() => served.close());
    const { dir, input } = app();
    const shared = counting('renders', 'renderChunk');
    // vite 6 and later add build.rollupOptions.plugins to each environment's build as it starts (per-environment plugins).
    const inputs = counting('input-renders', 'renderChunk');
    const ssrOnly = counting('ssr-renders', 'renderChunk');
    const key = alias === 'vite' ? 'rolldownOptions' : 'rollupOptions';
    const builder = await vite.createBuilder!({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      plugins: [jobslot({ limiter: served.limiter })],
      build: { write: false, minify: false, [key]: { input, plugins: [inputs.plugin], output: { plugins: [shared.plugin] } } },
      environments: { client: {}, ssr: { build: { ssr: true, [key]: { plugins: [Promise.resolve(ssrOnly.plugin)] } } } },
      builder: {},
    });
    await builder.buildApp();
    const s = shared.stats();
    expect(s.calls).toBeGreaterThanOrEqual(2 * 4); // both environments' chunks
    expect(s.inSlot).toBe(s.calls);
    for (const c of [inputs, ssrOnly]) {
      expect(c.stats().calls).toBeGreaterThanOrEqual(4);
      expect(c.stats().inSlot).toBe(c.stats().calls);
    }
    await turn();
    expect(served.client.held).toBe(0);
    expect(served.close()).toMatchObject({ lost: 0 });
  });
});
