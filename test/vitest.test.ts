// vitest 4 under `make -j check` across packages: the vite plugin sizes each
// run's test workers to the slots its process can take. Three packages, each
// a `vitest run` of CPU-bound test files, under one real make -j2 (4.3 and
// 4.4.1), on a simulated 16-core machine (vitest would start 15 workers each).
// Workers counted by the test files themselves (each logs its start and end:
// a file runs in one busy worker), tokens by make's own leak line and the
// trace, results compared test by test with vitest alone.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, makeBins, peakFromLog, ROOT, runMake, simulatedCores, tempDir, type MakeBin } from './support/index.js';

const VITEST = join(ROOT, 'test/node_modules/.bin/vitest');
const PLUGIN = join(ROOT, 'packages/vite-plugin/dist/index.js');
const { available, skipped } = makeBins();
const JOBS = 2;
const PACKAGES = ['alpha', 'beta', 'gamma'];
const FILES = 6;
/** Nothing of the vitest running this test: the runs beneath start fresh. */
const NOT_OURS = { VITEST: undefined, VITEST_MODE: undefined, VITEST_POOL_ID: undefined, VITEST_WORKER_ID: undefined, TEST: undefined, NODE_ENV: undefined };

/** A test file: logs when its worker starts and ends it, burns ~0.3 s of CPU, and has a passing and a skipped test. */
function testFile(pkg: string, i: number): string {
  return `import { appendFileSync } from 'node:fs';
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

/** Three packages, each with its vitest config (with or without the plugin) and its test files. */
function writeWorkspace(dir: string, withPlugin: boolean): void {
  for (const pkg of PACKAGES) {
    const root = join(dir, pkg);
    mkdirSync(join(root, 'test'), { recursive: true });
    // Plain objects, and `globals`, so that nothing in the package has to resolve vitest from /tmp.
    const config = withPlugin
      ? `import { jobslot } from ${JSON.stringify(PLUGIN)};\nexport default { plugins: [jobslot()], test: { globals: true } };\n`
      : `export default { test: { globals: true } };\n`;
    writeFileSync(join(root, 'vitest.config.mjs'), config);
    for (let i = 0; i < FILES; i++) writeFileSync(join(root, 'test', `t${i}.test.js`), testFile(pkg, i));
  }
}

/** make -jJOBS check: each package's `vitest run` a `+` recipe, its JSON report kept. */
function makefile(wrap = ''): string {
  const rules = PACKAGES.map((p) => `${p}:\n\t+@cd ${p} && ${wrap}${VITEST} run --reporter=json --outputFile=../${p}.json > /dev/null\n`);
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

async function check(make: MakeBin, withPlugin: boolean, wrap = '') {
  const dir = tempDir('jobslot-vitest-');
  writeWorkspace(dir, withPlugin);
  const log = join(dir, 'workers.log');
  writeFileSync(log, '');
  const tracePath = join(dir, 'trace.jsonl');
  const env = { ...NOT_OURS, ...simulatedCores(16), WORKER_LOG: log, JOBSLOT_TRACE: tracePath };
  const result = await runMake({ make, dir, jobs: JOBS, makefile: makefile(wrap), env, timeoutMs: 120_000 });
  const workers = peakFromLog(readFileSync(log, 'utf8'));
  return { dir, result, workers, tracePath };
}

describe.skipIf(!existsSync(VITEST))('vitest 4 workers under make -j check', () => {
  if (skipped.length) it.skip(`(${skipped.join('; ')})`, () => {});

  let reference: string[];
  let control: Awaited<ReturnType<typeof check>>;
  beforeAll(async () => {
    // vitest alone (no plugin) on a simulated 16-core machine: the control, and the reference results.
    control = await check(available[0]!, false);
    reference = results(control.dir);
  }, 120_000);

  it(`control: without jobslot, vitest runs more test workers than make -j${JOBS} allows`, () => {
    console.log(`vitest alone, 16 simulated cores, make -j${JOBS}: ${JSON.stringify(control.workers)}`);
    expect(control.result.code, control.result.stdout + control.result.stderr).toBe(0);
    expect(control.workers.jobs).toBe(PACKAGES.length * FILES);
    expect(control.workers.peak).toBeGreaterThan(JOBS);
    expect(reference).toHaveLength(PACKAGES.length * FILES * 2);
    expect(reference.filter((r) => r.endsWith(' skipped'))).toHaveLength(PACKAGES.length * FILES);
  });

  it.each(available)(`make $version -j${JOBS}: test workers within the slots, every token back, the same results`, async (make) => {
    const r = await check(make, true);
    const output = r.result.stdout + r.result.stderr;
    console.log(`vitest with the plugin, 16 simulated cores, make ${make.version} -j${JOBS}: ${JSON.stringify(r.workers)}`);
    expect(r.result.code, output).toBe(0);
    expect(r.result.leakLine, output).toBeUndefined();
    expect(r.workers.jobs).toBe(PACKAGES.length * FILES);
    expect(r.workers.peak).toBeLessThanOrEqual(JOBS);
    const trace = analyzeTrace(readTrace(r.tracePath), JOBS);
    expect(trace.unreturned).toBe(0);
    expect(trace.peak).toBeLessThanOrEqual(JOBS);
    // The plugin did take make's tokens for workers (not merely one worker each).
    expect([...trace.perProcess.values()].some((p) => p.acquired > 0)).toBe(true);
    expect(results(r.dir)).toEqual(reference);
  }, 120_000);

  it(`beneath \`jobslot run\`, make ${available[0]!.version} -j${JOBS}: the plugin sizes the workers from its sub-pool`, async () => {
    const r = await check(available[0]!, true, `node ${CLI} run -- `);
    const output = r.result.stdout + r.result.stderr;
    console.log(`jobslot run -- vitest run with the plugin, make ${available[0]!.version} -j${JOBS}: ${JSON.stringify(r.workers)}`);
    expect(r.result.code, output).toBe(0);
    expect(r.result.leakLine, output).toBeUndefined();
    expect(r.workers.peak).toBeLessThanOrEqual(JOBS);
    expect(analyzeTrace(readTrace(r.tracePath), JOBS).unreturned).toBe(0);
    expect(results(r.dir)).toEqual(reference);
  }, 120_000);

  it('a run of one test file holds no token while it runs: vitest never starts more workers than files', async () => {
    const dir = tempDir('jobslot-vitest-one-');
    mkdirSync(join(dir, 'solo/test'), { recursive: true });
    writeFileSync(join(dir, 'solo/vitest.config.mjs'), `import { jobslot } from ${JSON.stringify(PLUGIN)};\nexport default { plugins: [jobslot()], test: { globals: true } };\n`);
    writeFileSync(join(dir, 'solo/test/t0.test.js'), testFile('solo', 0));
    const log = join(dir, 'workers.log');
    writeFileSync(log, '');
    const tracePath = join(dir, 'trace.jsonl');
    const env = { ...NOT_OURS, ...simulatedCores(16), WORKER_LOG: log, JOBSLOT_TRACE: tracePath };
    const result = await runMake({ make: available[0]!, dir, jobs: 4, makefile: `check:\n\t+@cd solo && ${VITEST} run > /dev/null\n`, env, timeoutMs: 60_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(peakFromLog(readFileSync(log, 'utf8')).jobs).toBe(1);
    const events = readTrace(tracePath);
    const started = Number(/^start \S+ (\d+)/m.exec(readFileSync(log, 'utf8'))![1]);
    // It connected to make's jobserver, and ran its one worker on the process's own slot: the
    // only tokens it touched are those the config hook looks at (vite's pools) and gives straight back.
    expect(events.some((e) => e.ev === 'connect')).toBe(true);
    const tokens = events.filter((e) => e.ev === 'acquire' || e.ev === 'release');
    expect(tokens.every((e) => e.t < started)).toBe(true);
    expect(tokens.at(-1)?.held ?? 0).toBe(0);
  }, 60_000);
});
