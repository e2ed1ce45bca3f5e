// rolldown 1 on its own (rolldown.config.mjs, the rolldown command) with its
// native minifier and a CPU-heavy transform, the jobslot plugin from
// @jobslot/vite-plugin/rollup, beneath `jobslot run` under real make 4.3
// (pipe) and 4.4.1 (fifo), -j2.
//
// rolldown's own threads are Rust's: a tokio runtime (ROLLDOWN_WORKER_THREADS,
// which rolldown reads before tokio's TOKIO_WORKER_THREADS) and rayon's pool
// (RAYON_NUM_THREADS), both sized to the cores when the process starts, so the
// plugin cannot size them: `jobslot run` does. Counted from /proc (threads in
// state R across the tree) and from the heavy transform's own start/end log,
// against a control run without jobslot on a simulated 16-core machine. Every
// token back (make's own INTERNAL: line), output byte-identical to rolldown alone.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, fileTree, makeBins, ROOT, sh, tempDir } from './support/index.js';
import { expectRecipeReported, traceIn } from './support/slot-report.js';
import { bundlerRun, FIXTURE } from './support/bundler-run.js';

const ROLLDOWN = join(ROOT, 'test/node_modules/rolldown/bin/cli.mjs');
const COMMAND = `node ${sh(ROLLDOWN)} -c ${sh(join(FIXTURE, 'rolldown.config.mjs'))}`;
const JOBS = 2;
const { available, skipped } = makeBins();
for (const why of skipped) console.warn(`skipped: ${why}`);

describe.skipIf(!existsSync(ROLLDOWN))('rolldown 1 beneath jobslot run', () => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    // rolldown alone: no make, no jobslot plugin, the machine as it is.
    const r = await bundlerRun({ command: COMMAND, plugin: false });
    expect(r.code, r.output).toBe(0);
    reference = fileTree(join(r.dir, 'dist'));
    expect(reference.size).toBe(11);
    expect([...reference.values()].join('')).toContain('heavy value'); // the heavy transform ran
  }, 90_000);

  it(`control: without jobslot, on a simulated 16-core machine, rolldown runs more threads than make -j${JOBS} allows`, async () => {
    const r = await bundlerRun({ command: COMMAND, make: available[0]!, jobs: JOBS, plugin: false, cores: 16 });
    console.log(`rolldown alone, 16 cores (sim.), make -j${JOBS}: heavy transforms ${r.heavy.peak}, runnable ${JSON.stringify(r.runnable)}`);
    expect(r.code, r.output).toBe(0);
    expect(r.runnable.p95).toBeGreaterThan(JOBS + 3);
    expect(r.runnable.mean).toBeGreaterThan(JOBS + 1); // 5.5 measured
    expect(r.heavy.peak).toBeGreaterThan(JOBS + 1);
  }, 90_000);

  it.each(available)(`make $version -j${JOBS}: threads and transforms within the slots, every token back, the same output`, async (make) => {
    const { trace, env } = traceIn(tempDir('jobslot-rolldown-trace-'));
    const started = Date.now();
    const r = await bundlerRun({ command: COMMAND, make, jobs: JOBS, prefix: `node ${sh(CLI)} run -- `, plugin: true, cores: 16, env });
    const wallMs = Date.now() - started;
    console.log(`jobslot run -- rolldown, 16 cores (sim.), make ${make.version} -j${JOBS}: heavy transforms ${r.heavy.peak}, runnable ${JSON.stringify(r.runnable)}`);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(r.output).not.toMatch(/jobslot:/); // `jobslot run` sized the native threads: no warning
    expect(r.heavy.peak).toBeLessThanOrEqual(JOBS);
    // rolldown's Rust threads (N tokio, N rayon, sized by jobslot run) parse and
    // minify beside the governed JS hooks, and the JS main thread drives them.
    // Tokio's and rayon's pools are sized apart and overlap in short bursts (as
    // rspack's do, test/rspack.test.ts, held to the same N + 0.5): the mean is
    // 1.5-1.6 here, 2.07 once in CI's full suite (a 0.4 s build, ~40 samples),
    // against 5.5 without jobslot; p95 is 3 or 4 and, one run in several, 5,
    // against 14 or more without.
    expect(r.runnable.mean).toBeLessThanOrEqual(JOBS + 0.5);
    expect(r.runnable.p95).toBeLessThanOrEqual(JOBS + 3);
    expect(fileTree(join(r.dir, 'dist'))).toEqual(reference);
    expectRecipeReported(trace, JOBS, wallMs);
  }, 90_000);

  it('under make without jobslot run: the transforms still in slots, one warning that says to use jobslot run', async () => {
    const r = await bundlerRun({ command: COMMAND, make: available[0]!, jobs: JOBS, plugin: true });
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(r.heavy.peak).toBeLessThanOrEqual(JOBS);
    expect(r.output.match(/jobslot: rolldown runs under a make jobserver/g)?.length, r.output).toBe(1);
    expect(r.output).toContain('jobslot run -- rolldown -c');
    expect(fileTree(join(r.dir, 'dist'))).toEqual(reference);
  }, 90_000);

  it('without make: the plugin changes nothing and says nothing', async () => {
    const r = await bundlerRun({ command: COMMAND, plugin: true });
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toMatch(/jobslot/);
    expect(fileTree(join(r.dir, 'dist'))).toEqual(reference);
  }, 90_000);
});
