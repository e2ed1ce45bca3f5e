// jest 30 under `make -j check` across packages: @jobslot/jest's withJobslot()
// sizes each jest's workers to the slots its process can take when it loads
// its config. Three packages, each a `jest` of CPU-bound test files, under one
// real make -j4 (4.3 and 4.4.1), on a simulated 16-core machine (jest would
// start 15 workers each). Workers counted by the test files themselves (each
// logs its start and end: a file runs in one busy worker), tokens by make's
// own leak line and the trace, results compared test by test with jest alone.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, makeBins, ROOT, runnerResults, runRunners, tempDir, workerTestFile, type MakeBin } from './support/index.js';

const JEST = join(ROOT, 'test/node_modules/.bin/jest');
const HELPER = join(ROOT, 'packages/jest/dist/index.cjs');
const { available, skipped } = makeBins();
// One more slot than packages: a token is free in make's jobserver while all three run, to be taken for workers.
const JOBS = 4;
const PACKAGES = ['alpha', 'beta', 'gamma'];
const FILES = 5;

/** The packages, each with its jest.config.cjs (CommonJS, as jest configs often are), with or without withJobslot. */
function writeWorkspace(dir: string, withHelper: boolean, packages = PACKAGES, files = FILES): void {
  for (const pkg of packages) {
    const root = join(dir, pkg);
    mkdirSync(join(root, 'test'), { recursive: true });
    // Its own cache: no timings from an earlier run (with them, jest runs fast suites in band).
    const config = `{ testEnvironment: 'node', cacheDirectory: ${JSON.stringify(join(root, '.jest-cache'))} }`;
    writeFileSync(
      join(root, 'jest.config.cjs'),
      withHelper ? `const { withJobslot } = require(${JSON.stringify(HELPER)});\nmodule.exports = withJobslot(${config});\n` : `module.exports = ${config};\n`,
    );
    for (let i = 0; i < files; i++) writeFileSync(join(root, 'test', `t${i}.test.js`), workerTestFile(pkg, i, true));
  }
}

/** make check: each package's jest a `+` recipe, its JSON results kept. */
function makefile(packages = PACKAGES, wrap = ''): string {
  const rules = packages.map((p) => `${p}:\n\t+@cd ${p} && ${wrap}${JEST} --json --outputFile=../${p}.json 2> /dev/null\n`);
  return `check: ${packages.join(' ')}\n.PHONY: check ${packages.join(' ')}\n${rules.join('')}`;
}

async function check(make: MakeBin, withHelper: boolean, wrap = '') {
  const dir = tempDir('jobslot-jest-');
  writeWorkspace(dir, withHelper);
  return { dir, ...(await runRunners({ make, dir, jobs: JOBS, makefile: makefile(PACKAGES, wrap) })) };
}

describe.skipIf(!existsSync(JEST))('jest 30 workers under make -j check', () => {
  if (skipped.length) it.skip(`(${skipped.join('; ')})`, () => {});

  let reference: string[];
  let control: Awaited<ReturnType<typeof check>>;
  beforeAll(async () => {
    // jest alone on a simulated 16-core machine: the control, and the reference results.
    control = await check(available[0]!, false);
    reference = runnerResults(control.dir, PACKAGES);
  }, 120_000);

  it(`control: without jobslot, jest runs more test workers than make -j${JOBS} allows`, () => {
    console.log(`jest alone, 16 simulated cores, make -j${JOBS}: ${JSON.stringify(control.workers)}`);
    expect(control.result.code, control.result.stdout + control.result.stderr).toBe(0);
    expect(control.workers.jobs).toBe(PACKAGES.length * FILES);
    expect(control.workers.peak).toBeGreaterThan(JOBS);
    expect(reference).toHaveLength(PACKAGES.length * FILES * 2);
    expect(reference.filter((r) => r.endsWith(' pending'))).toHaveLength(PACKAGES.length * FILES);
  });

  it.each(available)(`make $version -j${JOBS}: test workers within the slots, every token back, the same results`, async (make) => {
    const r = await check(make, true);
    const output = r.result.stdout + r.result.stderr;
    console.log(`jest with withJobslot, 16 simulated cores, make ${make.version} -j${JOBS}: ${JSON.stringify(r.workers)}`);
    expect(r.result.code, output).toBe(0);
    expect(r.result.leakLine, output).toBeUndefined();
    expect(r.workers.jobs).toBe(PACKAGES.length * FILES);
    expect(r.workers.peak).toBeLessThanOrEqual(JOBS);
    const trace = analyzeTrace(readTrace(r.tracePath), JOBS);
    expect(trace.unreturned).toBe(0);
    expect(trace.peak).toBeLessThanOrEqual(JOBS);
    // The helper did take make's tokens for workers (not merely one worker each).
    expect([...trace.perProcess.values()].some((p) => p.acquired > 0)).toBe(true);
    expect(runnerResults(r.dir, PACKAGES)).toEqual(reference);
  }, 120_000);

  it(`beneath \`jobslot run\`, make ${available[0]!.version} -j${JOBS}: withJobslot takes its slots from the sub-pool`, async () => {
    const r = await check(available[0]!, true, `node ${CLI} run -- `);
    const output = r.result.stdout + r.result.stderr;
    console.log(`jobslot run -- jest with withJobslot, make ${available[0]!.version} -j${JOBS}: ${JSON.stringify(r.workers)}`);
    expect(r.result.code, output).toBe(0);
    expect(r.result.leakLine, output).toBeUndefined();
    expect(r.workers.peak).toBeLessThanOrEqual(JOBS);
    expect(analyzeTrace(readTrace(r.tracePath), JOBS).unreturned).toBe(0);
    expect(runnerResults(r.dir, PACKAGES)).toEqual(reference);
  }, 120_000);

  it('a run jest makes in band (one suite) gives back the tokens it took for workers before the suite starts', async () => {
    // make -j4, one jest with one test file: the config takes the free tokens (jest's own
    // process cannot know yet that it will run in band), the reporter gives them back at run start.
    const dir = tempDir('jobslot-jest-band-');
    writeWorkspace(dir, true, ['solo'], 1);
    const r = await runRunners({ make: available[0]!, dir, jobs: 4, makefile: makefile(['solo']) });
    expect(r.result.code, r.result.stdout + r.result.stderr).toBe(0);
    expect(r.result.leakLine).toBeUndefined();
    const events = readTrace(r.tracePath);
    const acquired = events.filter((e) => e.ev === 'acquire');
    const released = events.filter((e) => e.ev === 'release');
    expect(acquired.length).toBeGreaterThan(0);
    expect(released).toHaveLength(acquired.length);
    for (const e of released) expect(e.t).toBeLessThan(r.firstStart);
    expect(analyzeTrace(events, 4).unreturned).toBe(0);
  }, 60_000);
});
