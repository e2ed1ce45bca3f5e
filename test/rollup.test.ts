// rollup 4 on its own (rollup.config.mjs, the rollup command) with
// @rollup/plugin-terser as an output plugin and a CPU-heavy transform, the
// jobslot plugin from @jobslot/vite-plugin/rollup, beneath `jobslot run`
// under real make 4.3 (pipe) and 4.4.1 (fifo), -j2.
//
// Counted from outside: terser's worker threads from a per-worker start/end
// log (log-workers.cjs, around the real Worker), the heavy transform's own
// start/end log, runnable threads from /proc. A control run without jobslot on
// a simulated 16-core machine shows rollup going above the slots (terser starts
// a worker per chunk, up to its maxWorkers default of os.cpus().length), so the
// bounds prove something. Every token back (make's own INTERNAL: line), and
// output byte-identical to rollup alone.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, fileTree, makeBins, ROOT, sh } from './support/index.js';
import { bundlerRun, FIXTURE } from './support/bundler-run.js';

const ROLLUP = join(ROOT, 'test/node_modules/rollup/dist/bin/rollup');
const COMMAND = `node ${sh(ROLLUP)} --silent -c ${sh(join(FIXTURE, 'rollup.config.mjs'))}`;
const JOBS = 2;
/** The app's chunks: ten entries and a shared chunk, each minified by terser. */
const CHUNKS = 11;
const { available, skipped } = makeBins();
for (const why of skipped) console.warn(`skipped: ${why}`);

describe.skipIf(!existsSync(ROLLUP))('rollup 4 + @rollup/plugin-terser beneath jobslot run', () => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    // rollup alone: no make, no jobslot plugin, the machine as it is.
    const r = await bundlerRun({ command: COMMAND, plugin: false });
    expect(r.code, r.output).toBe(0);
    reference = fileTree(join(r.dir, 'dist'));
    expect(reference.size).toBe(CHUNKS);
    expect([...reference.values()].join('')).toContain('heavy value'); // the heavy transform ran
    expect(r.workers.jobs).toBeGreaterThan(0); // the per-worker log sees terser's workers
  }, 90_000);

  it(`control: without jobslot, on a simulated 16-core machine, rollup runs more than make -j${JOBS} allows`, async () => {
    const r = await bundlerRun({ command: COMMAND, make: available[0]!, jobs: JOBS, plugin: false, cores: 16 });
    console.log(`rollup alone, 16 cores (sim.), make -j${JOBS}: terser workers ${r.workers.peak}, heavy transforms ${r.heavy.peak}, runnable ${JSON.stringify(r.runnable)}`);
    expect(r.code, r.output).toBe(0);
    // A worker per chunk, up to os.cpus().length: all eleven at once.
    expect(r.workers.peak).toBeGreaterThan(JOBS + 1);
    expect(r.heavy.peak).toBeGreaterThan(JOBS + 1);
    expect(r.runnable.p95).toBeGreaterThan(JOBS + 1);
  }, 90_000);

  it.each(available)(`make $version -j${JOBS}: terser workers and transforms within the slots, every token back, the same output`, async (make) => {
    const r = await bundlerRun({ command: COMMAND, make, jobs: JOBS, prefix: `node ${sh(CLI)} run -- `, plugin: true, cores: 16 });
    console.log(`jobslot run -- rollup, 16 cores (sim.), make ${make.version} -j${JOBS}: terser workers ${r.workers.peak} (${r.workers.jobs} started), heavy transforms ${r.heavy.peak}, runnable ${JSON.stringify(r.runnable)}`);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(r.output).not.toMatch(/jobslot:/); // no warning: rollup has no native pools to size
    // `jobslot run` holds at most make's -jN slots (its own and N - 1 tokens): no more
    // terser workers alive, no more transforms running, at any one time.
    expect(r.workers.jobs).toBeGreaterThan(0);
    expect(r.workers.peak).toBeLessThanOrEqual(JOBS);
    expect(r.heavy.peak).toBeLessThanOrEqual(JOBS);
    // rollup's main thread bundles while governed hooks work in worker threads, and
    // V8's helper threads (--v8-pool-size N, from jobslot run) collect garbage beside
    // them: above N, far below the control's 14.
    expect(r.runnable.p95).toBeLessThanOrEqual(2 * JOBS + 2);
    expect(fileTree(join(r.dir, 'dist'))).toEqual(reference);
  }, 90_000);

  it.each(available)(`make $version -j${JOBS}, one slot (jobslot run --max 1): one terser worker for every chunk, not one per chunk`, async (make) => {
    // terser closes its pool whenever no renderChunk call is in flight: governed one call
    // per slot, each chunk got a fresh worker (a cold start each). As one pass, the calls
    // share one pool sized to the slots held (render-pass.ts).
    const r = await bundlerRun({ command: COMMAND, make, jobs: JOBS, prefix: `node ${sh(CLI)} run --max 1 -- `, plugin: true, cores: 16 });
    console.log(`jobslot run --max 1 -- rollup, make ${make.version} -j${JOBS}: terser workers ${r.workers.peak} at once, ${r.workers.jobs} started for ${CHUNKS} chunks`);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(r.workers.peak).toBe(1);
    expect(r.workers.jobs).toBe(1);
    expect(fileTree(join(r.dir, 'dist'))).toEqual(reference);
  }, 90_000);

  it(`a transform that throws: the build fails, make gets every token back`, async () => {
    const r = await bundlerRun({
      command: COMMAND,
      make: available[0]!,
      jobs: JOBS,
      prefix: `node ${sh(CLI)} run -- `,
      plugin: true,
      cores: 16,
      env: { HEAVY_THROW: 'm013' },
    });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('heavy: refusing to transform');
    expect(r.leak, r.output).toBe(false);
  }, 90_000);
});

// The shapes real rollup configs give terser (rollup-shapes.config.mjs): an array of
// outputs, each with its own terser (rollup writes them at once), an array of configs
// sharing one `plugins` array, output plugins nested / turned off / behind a promise, and
// terser among the input plugins. On one slot, at most one chunk minified at once, and one
// terser worker alive at once, but for the array of outputs: rollup writes both at once,
// each output's terser has its own pool, and the second pool's worker starts (in the slot
// the first pass gave back) while the first pool's idle worker is still exiting: terser
// terminates its pool without waiting for it (27 ms here), so two are alive for a moment.
const SHAPES = ['outputs', 'configs', 'nested', 'input'] as const;
const SHAPES_COMMAND = `node ${sh(ROLLUP)} --silent -c ${sh(join(FIXTURE, 'rollup-shapes.config.mjs'))}`;

describe.skipIf(!existsSync(ROLLUP)).each(SHAPES)('rollup 4, terser where configs put it: %s', (shape) => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    const r = await bundlerRun({ command: SHAPES_COMMAND, plugin: false, env: { ROLLUP_SHAPE: shape } });
    expect(r.code, r.output).toBe(0);
    reference = fileTree(join(r.dir, 'dist'));
    expect(reference.size).toBeGreaterThanOrEqual(CHUNKS);
    expect(r.heavy.calls).toBe(20); // the heavy transform ran on every module
    expect(r.workers.jobs).toBeGreaterThan(0); // terser ran, and the per-worker log sees its workers
  }, 90_000);

  it.each(available)(`make $version -j${JOBS}, one slot (jobslot run --max 1): one chunk minified at a time, every token back, the same output`, async (make) => {
    const r = await bundlerRun({ command: SHAPES_COMMAND, make, jobs: JOBS, prefix: `node ${sh(CLI)} run --max 1 -- `, plugin: true, cores: 16, env: { ROLLUP_SHAPE: shape } });
    console.log(`jobslot run --max 1 -- rollup (${shape}), make ${make.version} -j${JOBS}: terser workers ${r.workers.peak} at once, ${r.workers.jobs} started; chunks minified ${r.tasks.peak} at once, ${r.tasks.jobs} in all`);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(r.tasks.jobs).toBe(reference.size); // every chunk, minified in a worker
    expect(r.tasks.peak).toBe(1);
    expect(r.workers.peak).toBeLessThanOrEqual(shape === 'outputs' ? 2 : 1);
    expect(r.heavy.peak).toBe(1);
    expect(fileTree(join(r.dir, 'dist'))).toEqual(reference);
  }, 90_000);
});

// terser({ maxWorkers }) sizes its pool itself, not by os.cpus(), so not by the slots: kept as
// the user set it, and said once (rollup prints it: no --silent here).
describe.skipIf(!existsSync(ROLLUP))('rollup 4, terser({ maxWorkers: 4 }) on one slot', () => {
  const command = `node ${sh(ROLLUP)} -c ${sh(join(FIXTURE, 'rollup-shapes.config.mjs'))}`;
  const SAID = /jobslot: terser started (\d+) workers on 1 job slot: its `maxWorkers` option sizes its pool whatever the slots/g;
  it.each(available)(`make $version -j${JOBS}: one line says maxWorkers outsizes the slots; every token back`, async (make) => {
    const r = await bundlerRun({ command, make, jobs: JOBS, prefix: `node ${sh(CLI)} run --max 1 -- `, plugin: true, cores: 16, env: { ROLLUP_SHAPE: 'maxWorkers' } });
    console.log(`jobslot run --max 1 -- rollup (maxWorkers 4), make ${make.version}: terser workers ${r.workers.peak} at once; chunks minified ${r.tasks.peak} at once`);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    const said = [...r.output.matchAll(SAID)];
    expect(said, r.output).toHaveLength(1);
    expect(Number(said[0]![1])).toBe(r.workers.jobs); // the count the plugin gives is the workers it started
    expect(r.workers.peak).toBeGreaterThan(1);
    expect(r.workers.peak).toBeLessThanOrEqual(4);
  }, 90_000);
});
