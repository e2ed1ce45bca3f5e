// vitest 4 configured as real repositories configure it: `test.projects`
// (inline, with and without `extends: true`; project config files), `--project`
// filters, a leftover vitest.workspace file, and two runs under one make. The
// plugin is linked into the suite's node_modules and imported by its name, as
// an installed one would be, and the suite runs on a simulated 16-core machine
// (vitest would start 15 workers). Workers are counted by the test files
// themselves (each logs its start and end; a file runs in one busy worker),
// tokens by make's own leak line and the trace.
//
// Each run has a time limit (`timeout` in the recipe, then SIGTERM to vitest
// and its workers): a layout that hangs fails in a minute, not at the suite's
// timeout. The hang this guards against: with `extends: true`, every project's
// server wrapped its hooks in slots while the run held them all, so the
// workers' module transforms waited for the end of the run.
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { describe, expect, it } from 'vitest';
import { makeBins, peakFromLog, ROOT, runMake, simulatedCores, tempDir, type MakeBin, NOT_THIS_VITEST, VITEST, vitestSuite as suite } from './support/index.js';

const { available, skipped } = makeBins();
const make43 = available.find((m) => m.version.startsWith('4.3')) ?? available[0]!;
const make44 = available.find((m) => m.version.startsWith('4.4'));
/** Per project: 24 files of 0.4 s in two projects, as a suite split into unit and integration tests is. */
const FILES = 12;
const PROJECTS = ['unit', 'integration'];
/** Seconds a vitest run may take before `timeout` stops it; the test's own limit is above it. */
const LIMIT = 50;

/** A test file (globals): logs its worker's start and end to $WORKER_LOG, and burns 0.4 s of CPU. */
function testFile(label: string): string {
  return `import { appendFileSync } from 'node:fs';
const log = (kind) => appendFileSync(process.env.WORKER_LOG, kind + ' ${label} ' + Date.now() + '\\n');
beforeAll(() => log('start'));
afterAll(() => log('end'));
test('${label}', () => {
  const until = Date.now() + 400;
  let n = 0;
  while (Date.now() < until) n++;
  expect(n).toBeGreaterThan(0);
});
`;
}

const IMPORT = `import { jobslot } from '@jobslot/vite-plugin';\n`;
const CHROMIUM = '/usr/bin/chromium';
const BROWSER_PROVIDER = join(ROOT, 'test/node_modules/@vitest/browser-playwright');

/**
 * Browser mode: FILES test files run in Debian's headless chromium (through playwright), one
 * page per worker. A page cannot write files, so each logs its start and end through a
 * server-side command; the suite links vitest itself, which the browser's modules import.
 */
function browserSuite(withPlugin: boolean): string {
  const files: Record<string, string> = {
    'vitest.config.mjs': `import { appendFileSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
${withPlugin ? IMPORT : ''}export default {
  ${withPlugin ? 'plugins: [jobslot()],\n  ' : ''}test: {
    globals: true,
    include: ['browser/*.test.js'],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath: '${CHROMIUM}', args: ['--no-sandbox'] } }),
      instances: [{ browser: 'chromium' }],
      commands: { log: (_ctx, kind, label) => appendFileSync(process.env.WORKER_LOG, kind + ' ' + label + ' ' + Date.now() + '\\n') },
    },
  },
};
`,
  };
  for (let i = 0; i < FILES; i++) {
    files[`browser/t${i}.test.js`] = `import { commands } from 'vitest/browser';
beforeAll(() => commands.log('start', 'browser/${i}'));
afterAll(() => commands.log('end', 'browser/${i}'));
test('browser ${i}', () => {
  const until = Date.now() + 400;
  let n = 0;
  while (Date.now() < until) n++;
  expect(n).toBeGreaterThan(0);
});
`;
  }
  const dir = suite(files);
  mkdirSync(join(dir, 'node_modules/@vitest'), { recursive: true });
  symlinkSync(join(ROOT, 'test/node_modules/vitest'), join(dir, 'node_modules/vitest'));
  symlinkSync(realpathSync(BROWSER_PROVIDER), join(dir, 'node_modules/@vitest/browser-playwright'));
  return dir;
}

/** FILES test files in each of `PROJECTS`' folders, under `prefix`. */
function testFiles(prefix = '', label = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of PROJECTS) for (let i = 0; i < FILES; i++) out[`${prefix}${p}/t${i}.test.js`] = testFile(`${label}${p}/${i}`);
  return out;
}

/** A root config with inline projects, the plugin at the root, as vitest's guide writes them. */
function inlineProjects(extendsRoot: boolean): Record<string, string> {
  const projects = PROJECTS.map(
    (p) => `    {${extendsRoot ? ' extends: true,' : ''} test: { name: '${p}', globals: true, include: ['${p}/**/*.test.js'] } },\n`,
  );
  return {
    'vitest.config.mjs': `${IMPORT}export default {\n  plugins: [jobslot()],\n  test: {\n  projects: [\n${projects.join('')}  ],\n  },\n};\n`,
    ...testFiles(),
  };
}

/** `projects: ['packages/*']`: one config file per package; the plugin in each (`inPackages`) and/or at the root. */
function projectFiles(inPackages: boolean, atRoot: boolean): Record<string, string> {
  const files: Record<string, string> = {
    'vitest.config.mjs': `${atRoot ? IMPORT : ''}export default {\n  ${atRoot ? 'plugins: [jobslot()],\n  ' : ''}test: { projects: ['packages/*'] },\n};\n`,
  };
  for (const p of PROJECTS) {
    files[`packages/${p}/vitest.config.mjs`] = inPackages
      ? `${IMPORT}export default { plugins: [jobslot()], test: { name: '${p}', globals: true } };\n`
      : `export default { test: { name: '${p}', globals: true } };\n`;
  }
  return { ...files, ...testFiles('packages/') };
}

/** One `vitest run` recipe per directory (`+`: it gets make's jobserver), stopped after LIMIT seconds. */
function makefile(dirs: Record<string, string>, args = ''): string {
  const names = Object.keys(dirs);
  const rules = names.map(
    (n) => `${n}:\n\t+@cd ${dirs[n]} && timeout ${LIMIT} ${VITEST} run ${args} --reporter=json --outputFile=report.json > /dev/null\n`,
  );
  return `all: ${names.join(' ')}\n.PHONY: all ${names.join(' ')}\n${rules.join('')}`;
}

/** Runs make -jJOBS over the suites in `dirs` on 16 simulated cores: the result, the workers' overlap, the trace, the time taken. */
async function check(make: MakeBin, jobs: number, dirs: Record<string, string>, args = '') {
  const top = tempDir('jobslot-vitest-make-');
  const log = join(top, 'workers.log');
  writeFileSync(log, '');
  const tracePath = join(top, 'trace.jsonl');
  const env = { ...NOT_THIS_VITEST, ...simulatedCores(16), WORKER_LOG: log, JOBSLOT_TRACE: tracePath };
  const started = Date.now();
  const result = await runMake({ make, dir: top, jobs, makefile: makefile(dirs, args), env, timeoutMs: (LIMIT + 20) * 1000 });
  const seconds = (Date.now() - started) / 1000;
  const workers = peakFromLog(readFileSync(log, 'utf8'));
  const trace = existsSync(tracePath) ? analyzeTrace(readTrace(tracePath), jobs) : undefined;
  return { result, output: result.stdout + result.stderr, workers, trace, seconds };
}

/** Test files passed, by the run's JSON report. */
function passedFiles(dir: string): number {
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { testResults: Array<{ status: string }> };
  return report.testResults.filter((f) => f.status === 'passed').length;
}

/** What every governed run must show: it passed within the limit, with the workers within -jJOBS and every token back. */
function expectGoverned(r: Awaited<ReturnType<typeof check>>, jobs: number, files: number, label: string): void {
  console.log(`${label}: ${JSON.stringify(r.workers)} in ${r.seconds.toFixed(1)} s`);
  expect(r.result.code, `${label} (124: timed out, hung)\n${r.output}`).toBe(0);
  expect(r.seconds).toBeLessThan(60);
  expect(r.result.leakLine, r.output).toBeUndefined();
  expect(r.workers.jobs).toBe(files);
  expect(r.workers.peak).toBeLessThanOrEqual(jobs);
  expect(r.trace?.unreturned).toBe(0);
  expect(r.trace?.peak).toBeLessThanOrEqual(jobs);
}

const TEST_LIMIT = (LIMIT + 30) * 1000;

describe.skipIf(!existsSync(VITEST))('vitest 4 test.projects under make: every layout governed, none hangs', () => {
  if (skipped.length) it.skip(`(${skipped.join('; ')})`, () => {});

  const inline = available.flatMap((make) =>
    [false, true].map((extendsRoot) => [extendsRoot ? 'with extends: true' : 'without extends', make.version, extendsRoot, make] as const),
  );
  it.each(inline)('inline projects %s, plugin at the root, make %s -j2: at most 2 test files at once', async (how, version, extendsRoot, make) => {
    const dir = suite(inlineProjects(extendsRoot));
    const r = await check(make, 2, { suite: dir });
    expectGoverned(r, 2, 2 * FILES, `inline projects ${how}, make ${version} -j2`);
    expect(passedFiles(dir)).toBe(2 * FILES);
  }, TEST_LIMIT);

  it.each(available.map((m) => [m.version, m] as const))('project config files (projects: [\'packages/*\']), plugin in each, make %s -j2', async (_, make) => {
    const dir = suite(projectFiles(true, false));
    const r = await check(make, 2, { suite: dir });
    expectGoverned(r, 2, 2 * FILES, `project config files, make ${make.version} -j2`);
    expect(passedFiles(dir)).toBe(2 * FILES);
  }, TEST_LIMIT);

  it('two runs at once under make -j4 share the slots: at most 4 test files at once across both', async () => {
    const a = suite(inlineProjects(false));
    const b = suite(projectFiles(true, true));
    const r = await check(make44 ?? make43, 4, { a, b });
    expectGoverned(r, 4, 4 * FILES, `two runs, make ${(make44 ?? make43).version} -j4`);
    expect(passedFiles(a) + passedFiles(b)).toBe(4 * FILES);
  }, TEST_LIMIT);

  it('project config files without the plugin, the plugin at the root only: not governed, and one line says what to do', async () => {
    const dir = suite(projectFiles(false, true));
    const r = await check(make43, 2, { suite: dir });
    console.log(`project config files, plugin at the root only: ${JSON.stringify(r.workers)}`);
    expect(r.result.code, r.output).toBe(0);
    const lines = r.output.split('\n').filter((l) => l.includes('jobslot:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/not sized to make's job slots.*Add jobslot\(\) to the plugins of each project config/);
    // What the line warns of: vitest sized its workers to the 16 cores.
    expect(r.workers.peak).toBeGreaterThan(2);
    expect(r.trace?.unreturned ?? 0).toBe(0);
  }, TEST_LIMIT);

  it('a vitest.workspace file left from vitest 3: vitest 4 ignores it and runs the root config, governed', async () => {
    const dir = suite({
      'vitest.workspace.mjs': `export default ['packages/*'];\n`,
      'vitest.config.mjs': `${IMPORT}export default { plugins: [jobslot()], test: { globals: true, include: ['${PROJECTS[0]}/**/*.test.js'] } };\n`,
      ...testFiles(),
    });
    const r = await check(make43, 2, { suite: dir });
    expectGoverned(r, 2, FILES, `vitest.workspace.mjs beside the root config, make ${make43.version} -j2`);
    expect(passedFiles(dir)).toBe(FILES);
  }, TEST_LIMIT);

  const noBrowser = !existsSync(CHROMIUM)
    ? `no ${CHROMIUM}: apt-get install chromium`
    : !existsSync(BROWSER_PROVIDER) ? '@vitest/browser-playwright not installed in test/' : undefined;
  if (noBrowser) it.skip(`browser mode (${noBrowser})`, () => {});
  else it(
    `browser mode (Debian's chromium, playwright), make ${make43.version} -j2: at most 2 pages at work at once`,
    async () => {
      // The control: vitest alone opens a page per core (16 simulated) for these files.
      const alone = browserSuite(false);
      const control = await check(make43, 2, { suite: alone });
      console.log(`browser mode without jobslot: ${JSON.stringify(control.workers)}`);
      expect(control.result.code, control.output).toBe(0);
      expect(control.workers.peak).toBeGreaterThan(2);
      const dir = browserSuite(true);
      const r = await check(make43, 2, { suite: dir });
      expectGoverned(r, 2, FILES, `browser mode, make ${make43.version} -j2`);
      expect(passedFiles(dir)).toBe(FILES);
    },
    2 * TEST_LIMIT,
  );

  it('--project filters: only the chosen project runs, within the slots', async () => {
    const dir = suite(inlineProjects(true));
    const r = await check(make43, 2, { suite: dir }, '--project unit');
    expectGoverned(r, 2, FILES, `--project unit, make ${make43.version} -j2`);
    expect(passedFiles(dir)).toBe(FILES);
  }, TEST_LIMIT);
});
