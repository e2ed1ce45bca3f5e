// jest 30 under `make -j check` across packages: @jobslot/jest's withJobslot()
// sizes each jest's workers to the slots its process can take when it loads
// its config. Three packages, each a `jest` of CPU-bound test files, under one
// real make -j2 (4.3 and 4.4.1), on a simulated 16-core machine (jest would
// start 15 workers each). Workers counted by the test files themselves (each
// logs its start and end: a file runs in one busy worker), tokens by make's
// own leak line and the trace, results compared test by test with jest alone.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeBins, peakFromLog, ROOT, runMake, simulatedCores, tempDir, type MakeBin } from './support/index.js';

const JEST = join(ROOT, 'test/node_modules/.bin/jest');
const HELPER = join(ROOT, 'packages/jest/dist/index.cjs');
const { available, skipped } = makeBins();
const JOBS = 2;
const PACKAGES = ['alpha', 'beta', 'gamma'];
const FILES = 5;

/** A test file: logs when its worker starts and ends it, burns ~0.3 s of CPU, and has a passing and a skipped test. */
function testFile(pkg: string, i: number): string {
  return `const { appendFileSync } = require('node:fs');
const log = (kind) => appendFileSync(process.env.WORKER_LOG, kind + ' ${pkg}/${i} ' + Date.now() + '\\n');
beforeAll(() => log('start'));
afterAll(() => log('end'));
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
test('fib ${i}', () => {
  const until = Date.now() + 300;
  let r = 0;
  while (Date.now() < until) r = fib(20 + ${i});
  expect(r).toBe(fib(20 + ${i}));
});
test.skip('skipped ${i}', () => {});
`;
}

/** Three packages, each with its jest.config.cjs (CommonJS, as jest configs often are), with or without withJobslot. */
function writeWorkspace(dir: string, withHelper: boolean): void {
  for (const pkg of PACKAGES) {
    const root = join(dir, pkg);
    mkdirSync(join(root, 'test'), { recursive: true });
    // Its own cache: no timings from an earlier run (with them, jest runs fast suites in band).
    const config = `{ testEnvironment: 'node', cacheDirectory: ${JSON.stringify(join(root, '.jest-cache'))} }`;
    writeFileSync(
      join(root, 'jest.config.cjs'),
      withHelper ? `const { withJobslot } = require(${JSON.stringify(HELPER)});\nmodule.exports = withJobslot(${config});\n` : `module.exports = ${config};\n`,
    );
    for (let i = 0; i < FILES; i++) writeFileSync(join(root, 'test', `t${i}.test.js`), testFile(pkg, i));
  }
}

/** make -jJOBS check: each package's jest a `+` recipe, its JSON results kept. */
function makefile(): string {
  const rules = PACKAGES.map((p) => `${p}:\n\t+@cd ${p} && ${JEST} --json --outputFile=../${p}.json 2> /dev/null\n`);
  return `check: ${PACKAGES.join(' ')}\n.PHONY: check ${PACKAGES.join(' ')}\n${rules.join('')}`;
}

/** Per test: package, file, name, status (durations and absolute paths left out). */
function results(dir: string): string[] {
  const out: string[] = [];
  for (const pkg of PACKAGES) {
    const report = JSON.parse(readFileSync(join(dir, `${pkg}.json`), 'utf8')) as {
      testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; status: string }> }>;
    };
    for (const file of report.testResults) {
      for (const t of file.assertionResults) out.push(`${pkg} ${file.name.slice(file.name.lastIndexOf('/') + 1)} ${t.fullName} ${t.status}`);
    }
  }
  return out.sort();
}

async function check(make: MakeBin, withHelper: boolean) {
  const dir = tempDir('jobslot-jest-');
  writeWorkspace(dir, withHelper);
  const log = join(dir, 'workers.log');
  writeFileSync(log, '');
  const tracePath = join(dir, 'trace.jsonl');
  // Nothing of the vitest running this test reaches jest.
  const notOurs = { VITEST: undefined, VITEST_MODE: undefined, VITEST_POOL_ID: undefined, VITEST_WORKER_ID: undefined, TEST: undefined, NODE_ENV: undefined };
  const env = { ...notOurs, ...simulatedCores(16), WORKER_LOG: log, JOBSLOT_TRACE: tracePath };
  const result = await runMake({ make, dir, jobs: JOBS, makefile: makefile(), env, timeoutMs: 120_000 });
  return { dir, result, workers: peakFromLog(readFileSync(log, 'utf8')), tracePath };
}

describe.skipIf(!existsSync(JEST))('jest 30 workers under make -j check', () => {
  if (skipped.length) it.skip(`(${skipped.join('; ')})`, () => {});

  let reference: string[];
  let control: Awaited<ReturnType<typeof check>>;
  beforeAll(async () => {
    // jest alone on a simulated 16-core machine: the control, and the reference results.
    control = await check(available[0]!, false);
    reference = results(control.dir);
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
    expect(results(r.dir)).toEqual(reference);
  }, 120_000);

  it('a run jest makes in band (one suite) gives back the tokens it took for workers before the suite starts', async () => {
    // make -j4, one jest with one test file: the config takes the free tokens (jest's own
    // process cannot know yet that it will run in band), the reporter gives them back at run start.
    const dir = tempDir('jobslot-jest-band-');
    mkdirSync(join(dir, 'solo/test'), { recursive: true });
    writeFileSync(join(dir, 'solo/jest.config.cjs'), `const { withJobslot } = require(${JSON.stringify(HELPER)});\nmodule.exports = withJobslot({ testEnvironment: 'node' });\n`);
    writeFileSync(join(dir, 'solo/test/t0.test.js'), testFile('solo', 0));
    const log = join(dir, 'workers.log');
    writeFileSync(log, '');
    const tracePath = join(dir, 'trace.jsonl');
    const makefile = `check:\n\t+@cd solo && ${JEST} --cacheDirectory=.jest-cache 2> /dev/null\n`;
    const env = { VITEST: undefined, VITEST_MODE: undefined, VITEST_POOL_ID: undefined, VITEST_WORKER_ID: undefined, TEST: undefined, NODE_ENV: undefined, ...simulatedCores(16), WORKER_LOG: log, JOBSLOT_TRACE: tracePath };
    const result = await runMake({ make: available[0]!, dir, jobs: 4, makefile, env, timeoutMs: 60_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const events = readTrace(tracePath);
    const started = Number(/^start \S+ (\d+)/m.exec(readFileSync(log, 'utf8'))![1]);
    const acquired = events.filter((e) => e.ev === 'acquire');
    const released = events.filter((e) => e.ev === 'release');
    expect(acquired.length).toBeGreaterThan(0);
    expect(released).toHaveLength(acquired.length);
    for (const e of released) expect(e.t).toBeLessThan(started);
    expect(analyzeTrace(events, 4).unreturned).toBe(0);
  }, 60_000);
});
