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
import { describe, expect, it } from 'vitest';
import { makeBins, ROOT, runRunners, sharedRunnerTests, tempDir, workerTestFile, type MakeBin } from './support/index.js';

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

/** One package of 4 test files, make -j2 on a simulated 2-core machine: jest alone runs them in band there. */
async function twoCores(withHelper: boolean) {
  const dir = tempDir('jobslot-jest-two-');
  writeWorkspace(dir, withHelper, ['solo'], 4);
  return runRunners({ make: available[0]!, dir, jobs: 2, cores: 2, makefile: makefile(['solo']) });
}

describe.skipIf(!existsSync(JEST))('jest 30 workers under make -j check', () => {
  if (skipped.length) it.skip(`(${skipped.join('; ')})`, () => {});

  sharedRunnerTests({ tool: 'jest', how: 'with withJobslot', subPool: 'withJobslot takes its slots from the sub-pool', skippedStatus: 'pending', available, jobs: JOBS, packages: PACKAGES, files: FILES, check, twoCores });

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
