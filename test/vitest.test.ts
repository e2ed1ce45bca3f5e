// vitest 4 under `make -j check` across packages: the vite plugin sizes each
// run's test workers to the slots its process can take. Three packages, each
// a `vitest run` of CPU-bound test files, under one real make -j4 (4.3 and
// 4.4.1), on a simulated 16-core machine (vitest would start 15 workers each).
// Workers counted by the test files themselves (each logs its start and end:
// a file runs in one busy worker), tokens by make's own leak line and the
// trace, results compared test by test with vitest alone.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { describe, expect, it } from 'vitest';
import { makeBins, ROOT, runRunners, sharedRunnerTests, tempDir, workerTestFile, type MakeBin } from './support/index.js';

const VITEST = join(ROOT, 'test/node_modules/.bin/vitest');
const PLUGIN = join(ROOT, 'packages/vite-plugin/dist/index.js');
const { available, skipped } = makeBins();
// One more slot than packages: a token is free in make's jobserver while all three run, to be taken for workers.
const JOBS = 4;
const PACKAGES = ['alpha', 'beta', 'gamma'];
const FILES = 6;

/** A package's vitest config: plain objects, and `globals`, so that nothing in it resolves vitest from /tmp. */
const config = (withPlugin: boolean, test = '') =>
  withPlugin
    ? `import { jobslot } from ${JSON.stringify(PLUGIN)};\nexport default { plugins: [jobslot()], test: { globals: true${test} } };\n`
    : `export default { test: { globals: true${test} } };\n`;

/** The packages, each with its vitest config (with or without the plugin; `test`: more test options) and its test files. */
function writeWorkspace(dir: string, withPlugin: boolean, packages = PACKAGES, files = FILES, test = ''): void {
  for (const pkg of packages) {
    mkdirSync(join(dir, pkg, 'test'), { recursive: true });
    writeFileSync(join(dir, pkg, 'vitest.config.mjs'), config(withPlugin, test));
    for (let i = 0; i < files; i++) writeFileSync(join(dir, pkg, 'test', `t${i}.test.js`), workerTestFile(pkg, i, false));
  }
}

/** make check: each package's `vitest run` a `+` recipe (`wrap` before it), its JSON report kept. */
function makefile(wrap = '', packages = PACKAGES): string {
  const rules = packages.map((p) => `${p}:\n\t+@cd ${p} && ${wrap}${VITEST} run --reporter=json --outputFile=../${p}.json > /dev/null\n`);
  return `check: ${packages.join(' ')}\n.PHONY: check ${packages.join(' ')}\n${rules.join('')}`;
}

async function check(make: MakeBin, withPlugin: boolean, wrap = '') {
  const dir = tempDir('jobslot-vitest-');
  writeWorkspace(dir, withPlugin);
  return { dir, ...(await runRunners({ make, dir, jobs: JOBS, makefile: makefile(wrap) })) };
}

/** One package of 4 test files, make -j2 on a simulated 2-core machine: vitest alone starts 1 worker there. */
async function twoCores(withPlugin: boolean) {
  const dir = tempDir('jobslot-vitest-two-');
  writeWorkspace(dir, withPlugin, ['solo'], 4);
  return runRunners({ make: available[0]!, dir, jobs: 2, cores: 2, makefile: makefile('', ['solo']) });
}

describe.skipIf(!existsSync(VITEST))('vitest 4 workers under make -j check', () => {
  if (skipped.length) it.skip(`(${skipped.join('; ')})`, () => {});

  sharedRunnerTests({ tool: 'vitest', how: 'with the plugin', subPool: 'the plugin sizes the workers from its sub-pool', skippedStatus: 'skipped', available, jobs: JOBS, packages: PACKAGES, files: FILES, check, twoCores });

  it('a run of one test file holds no token while it runs: vitest never starts more workers than files', async () => {
    const dir = tempDir('jobslot-vitest-one-');
    writeWorkspace(dir, true, ['solo'], 1);
    const r = await runRunners({ make: available[0]!, dir, jobs: 4, makefile: makefile('', ['solo']) });
    expect(r.result.code, r.result.stdout + r.result.stderr).toBe(0);
    expect(r.workers.jobs).toBe(1);
    const events = readTrace(r.tracePath);
    // It connected to make's jobserver, and ran its one worker on the process's own slot: the
    // only tokens it touched are those the config hook looks at (vite's pools) and gives straight back.
    expect(events.some((e) => e.ev === 'connect')).toBe(true);
    const tokens = events.filter((e) => e.ev === 'acquire' || e.ev === 'release');
    expect(tokens.every((e) => e.t < r.firstStart)).toBe(true);
    expect(tokens.at(-1)?.held ?? 0).toBe(0);
  }, 60_000);

  it.each([
    ['maxWorkers: 2', ', maxWorkers: 2', 2],
    ['fileParallelism: false', ', fileParallelism: false', 1],
  ])('the user\'s %s stays a ceiling: no more workers, no more tokens held while the tests run', async (_, test, most) => {
    const dir = tempDir('jobslot-vitest-ceiling-');
    writeWorkspace(dir, true, ['solo'], 4, test);
    const r = await runRunners({ make: available[0]!, dir, jobs: 4, makefile: makefile('', ['solo']) });
    expect(r.result.code, r.result.stdout + r.result.stderr).toBe(0);
    expect(r.workers.jobs).toBe(4);
    expect(r.workers.peak).toBeLessThanOrEqual(most);
    // Tokens held after the last token event before the first test file started: the workers' own, beyond the process slot.
    const before = readTrace(r.tracePath).filter((e) => (e.ev === 'acquire' || e.ev === 'release') && e.t < r.firstStart);
    expect(before.at(-1)?.held ?? 0).toBe(most - 1);
    expect(analyzeTrace(readTrace(r.tracePath), 4).unreturned).toBe(0);
  }, 60_000);
});
