// @rollup/plugin-terser as an output plugin of a vite build, where real vite
// configs put it (`build.rollupOptions.output.plugins`, an array of outputs
// each with its own terser; vite 8's `build.rolldownOptions`; plugins nested,
// behind a promise, turned off with false), in `build.rollupOptions.plugins`
// (which vite 6+ adds to each environment's build as it starts), and in
// vite's own `plugins`:
// vite 5.4.0 (the oldest the peer range allows), vite 7 and vite 8, on one
// slot (`jobslot run --max 1`) under real make 4.3 (pipe) and 4.4.1 (fifo).
//
// terser sizes its worker pool by os.cpus() (16 here, simulated) and starts a
// worker per chunk while all are busy: ungoverned, a build on one slot ran up
// to 11 workers at once. Counted from outside jobslot: terser's workers by a
// per-worker start/end log (fixtures/rollup/log-workers.cjs, around the real
// Worker). Every token back (make's own INTERNAL: line), output identical to
// the same config built without make and without jobslot.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, fileTree, makeBins, ROOT, sh } from './support/index.js';
import { bundlerRun, FIXTURE } from './support/bundler-run.js';

const BUILD = join(FIXTURE, 'vite-output.mjs');
const JOBS = 2;
const { available, skipped } = makeBins();
for (const why of skipped) console.warn(`skipped: ${why}`);

/** [vite, shape]: what fixtures/rollup/vite-output.mjs builds. */
const CASES = [
  ['vite5', 'object'],
  ['vite5', 'array'],
  ['vite5', 'plugins'],
  ['vite7', 'nested'],
  ['vite7', 'input'],
  ['vite', 'rolldown'],
  ['vite', 'object'],
  ['vite', 'input'],
] as const;
const VERSION: Record<string, string> = { vite5: '5.4.0', vite7: '7', vite: '8' };
const installed = (vite: string) => existsSync(join(ROOT, 'packages/vite-plugin/node_modules', vite, 'package.json'));
const command = (vite: string, shape: string) => `node ${sh(BUILD)} --vite ${vite} --shape ${shape}`;

describe.each(CASES)('%s, terser in shape %s', (vite, shape) => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    // The same config without make and without the jobslot plugin, the machine as it is.
    const r = await bundlerRun({ command: command(vite, shape), plugin: false });
    expect(r.code, r.output).toBe(0);
    reference = fileTree(join(r.dir, 'dist'));
    expect(reference.size).toBeGreaterThanOrEqual(10);
    // The heavy transform ran on every module (rolldown bundles again for each output).
    expect(r.heavy.calls).toBe(shape === 'rolldown' ? 40 : 20);
    expect(r.workers.jobs).toBeGreaterThan(0); // terser ran, and the per-worker log sees its workers
  }, 120_000);

  it.skipIf(!installed(vite)).each(available)(`make $version -j${JOBS}, one slot (jobslot run --max 1): one chunk minified at a time, one terser worker, every token back, the same output`, async (make) => {
    const r = await bundlerRun({ command: command(vite, shape), make, jobs: JOBS, prefix: `node ${sh(CLI)} run --max 1 -- `, plugin: true, cores: 16 });
    console.log(`vite ${VERSION[vite]} ${shape}, jobslot run --max 1, make ${make.version} -j${JOBS}: terser workers ${r.workers.peak} at once, ${r.workers.jobs} started; chunks minified ${r.tasks.peak} at once, ${r.tasks.jobs} in all; heavy transforms ${r.heavy.peak}`);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(r.tasks.jobs).toBe(reference.size); // every chunk, minified in a worker
    expect(r.tasks.peak).toBe(1);
    expect(r.workers.peak).toBe(1);
    expect(r.heavy.peak).toBe(1);
    expect(fileTree(join(r.dir, 'dist'))).toEqual(reference);
  }, 120_000);
});

it(`control: without jobslot, vite 5.4.0 with terser in build.rollupOptions.output on a simulated 16-core machine runs more than one worker at once`, async () => {
  const r = await bundlerRun({ command: command('vite5', 'object'), make: available[0]!, jobs: JOBS, prefix: `node ${sh(CLI)} run --max 1 -- `, plugin: false, cores: 16 });
  console.log(`vite 5.4.0 object, jobslot run --max 1 without the plugin: terser workers ${r.workers.peak} at once, ${r.workers.jobs} started; chunks minified ${r.tasks.peak} at once`);
  expect(r.code, r.output).toBe(0);
  expect(r.leak, r.output).toBe(false);
  expect(r.workers.peak).toBeGreaterThan(JOBS);
  expect(r.tasks.peak).toBeGreaterThan(JOBS);
}, 120_000);
