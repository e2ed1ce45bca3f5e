// V8's helper threads in vitest 4's test workers under make: with the vite
// plugin, each forked worker (it holds one slot) starts V8's platform pool
// with one thread (--v8-pool-size=1), where node's default is 4; a size the
// user chose is kept; `threads` pools are left alone (worker_threads share
// their process's pool, and node refuses the flag in a Worker). A suite of
// `test.projects` as repositories write them (inline, the plugin at the root;
// project config files, the plugin in each), under real make 4.3 and 4.4.1,
// on a simulated 16-core machine.
//
// Counted from /proc, not from jobslot: each test file, once it runs, writes
// its project and pid to a file and waits; the test looks at that process's
// threads (test/support/v8-threads.ts: V8's platform workers are the threads
// waiting on one condition variable, made right after the delayed-task one),
// then lets the file finish.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, runMake, simulatedCores, sh, tempDir, type MakeBin, NOT_THIS_VITEST, VITEST, vitestSuite } from './support/index.js';
import { v8PlatformWorkers } from './support/v8-threads.js';

const { available, skipped } = makeBins();
const make43 = available.find((m) => m.version.startsWith('4.3')) ?? available[0]!;
const make44 = available.find((m) => m.version.startsWith('4.4')) ?? available[0]!;
/** Test files per project. */
const FILES = 3;
/**
 * The projects: `forks` (vitest's default pool), `own` (forks, the user's own
 * --v8-pool-size=2 in its execArgv), `threads` (worker_threads in vitest's own process).
 */
const PROJECTS = {
  forks: '',
  own: " execArgv: ['--v8-pool-size=2'],",
  threads: " pool: 'threads',",
} as const;
type Project = keyof typeof PROJECTS;

/** A test file: says it runs (project, pid) in $V8_READY, and waits until the test has looked at its process. */
function testFile(project: Project, i: number): string {
  return `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
test('${project} ${i}', async () => {
  const me = '${project}-${i}-' + process.pid;
  writeFileSync(join(process.env.V8_READY, 'ready-' + me), '');
  while (!existsSync(join(process.env.V8_READY, 'go-' + me))) await new Promise((r) => setTimeout(r, 10));
}, 60_000);
`;
}

const IMPORT = "import { jobslot } from '@jobslot/vite-plugin';\n";

/**
 * The suite, FILES files a project: inline projects with the plugin at the root (or none), or
 * project config files (`projects: ['packages/*']`) with the plugin in each.
 */
function suite(withPlugin: boolean, layout: 'inline' | 'files' = 'inline'): string {
  const files: Record<string, string> = {};
  if (layout === 'inline') {
    const projects = Object.entries(PROJECTS).map(([name, extra]) => `    { test: { name: '${name}', globals: true,${extra} include: ['${name}/*.test.js'] } },\n`);
    files['vitest.config.mjs'] = `${withPlugin ? IMPORT : ''}export default {\n  ${withPlugin ? 'plugins: [jobslot()],\n  ' : ''}test: {\n  projects: [\n${projects.join('')}  ],\n  },\n};\n`;
  } else {
    files['vitest.config.mjs'] = `export default { test: { projects: ['packages/*'] } };\n`;
    for (const [name, extra] of Object.entries(PROJECTS)) {
      files[`packages/${name}/vitest.config.mjs`] = `${withPlugin ? IMPORT : ''}export default { ${withPlugin ? 'plugins: [jobslot()], ' : ''}test: { name: '${name}', globals: true,${extra} } };\n`;
    }
  }
  const prefix = layout === 'inline' ? '' : 'packages/';
  for (const project of Object.keys(PROJECTS) as Project[]) for (let i = 0; i < FILES; i++) files[`${prefix}${project}/t${i}.test.js`] = testFile(project, i);
  return vitestSuite(files, tempDir('jobslot-vitest-v8-'));
}

interface Look {
  project: Project;
  pid: number;
  /** V8's platform workers in the process that ran the file. */
  workers: number;
  /** The --v8-pool-size in that process's NODE_OPTIONS, if any. */
  nodeOptionsSize?: number;
  /** The name of that process's parent. */
  parent?: string;
}

/**
 * `make -j2` of one `vitest run` (`wrap` before it), its test files' processes looked at as each
 * file waits. NODE_OPTIONS: what the environment adds after the 16-core shim's.
 */
async function check(make: MakeBin, dir: string, { wrap = '', nodeOptions = '' } = {}) {
  const ready = tempDir('jobslot-vitest-v8-ready-');
  const tracePath = join(ready, 'trace.jsonl');
  const cores = simulatedCores(16);
  const env = { ...NOT_THIS_VITEST, ...cores, NODE_OPTIONS: `${cores.NODE_OPTIONS} ${nodeOptions}`.trim(), V8_READY: ready, JOBSLOT_TRACE: tracePath };
  const looks: Look[] = [];
  const seen = new Set<string>();
  let looking = Promise.resolve();
  const watch = setInterval(() => {
    for (const name of readdirSync(ready)) {
      if (!name.startsWith('ready-') || seen.has(name)) continue;
      seen.add(name);
      const [project, , pid] = name.slice('ready-'.length).split('-') as [Project, string, string];
      looking = looking.then(async () => {
        try {
          const { workers } = await v8PlatformWorkers(Number(pid));
          const options = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((v) => v.startsWith('NODE_OPTIONS=')) ?? '';
          const size = /--v8-pool-size=(\d+)/.exec(options)?.[1];
          const ppid = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1];
          const parent = readFileSync(`/proc/${ppid}/comm`, 'utf8').trim();
          looks.push({ project, pid: Number(pid), workers, parent, ...(size ? { nodeOptionsSize: Number(size) } : {}) });
        } finally {
          // Whatever was seen (a look that failed is missing from `looks`), the file goes on.
          writeFileSync(join(ready, `go-${name.slice('ready-'.length)}`), '');
        }
      });
    }
  }, 20);
  const makefile = `all:\n\t+@cd ${sh(dir)} && ${wrap}${VITEST} run --reporter=json --outputFile=report.json > /dev/null\n`;
  try {
    const result = await runMake({ make, dir: ready, jobs: 2, makefile, env, timeoutMs: 90_000 });
    await looking;
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    expect(result.leakLine, output).toBeUndefined();
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { numPassedTests: number; numTotalTests: number };
    expect(report.numPassedTests).toBe(3 * FILES);
    expect(report.numTotalTests).toBe(3 * FILES);
    expect(looks).toHaveLength(3 * FILES);
    const trace = existsSync(tracePath) ? analyzeTrace(readTrace(tracePath), 2) : undefined;
    return { looks, trace };
  } finally {
    clearInterval(watch);
  }
}

/** Per project: the V8 platform workers seen in the processes that ran its files. */
function byProject(looks: Look[]): Record<Project, number[]> {
  const out = { forks: [], own: [], threads: [] } as Record<Project, number[]>;
  for (const l of looks) out[l.project].push(l.workers);
  return out;
}

const ALL = (n: number) => Array<number>(FILES).fill(n);

describe.skipIf(!existsSync(VITEST))("vitest 4's test workers under make: V8's helper pool sized to each worker's slot", () => {
  if (skipped.length) it.skip(`(${skipped.join('; ')})`, () => {});

  for (const make of available) {
    it(`test.projects, the plugin at the root, make ${make.version} -j2: a forked worker has 1 V8 helper, the user's 2 are kept, threads left alone`, async () => {
      const { looks, trace } = await check(make, suite(true));
      console.log(`make ${make.version}, plugin: ${JSON.stringify(byProject(looks))}`);
      const seen = byProject(looks);
      expect(seen.forks).toEqual(ALL(1));
      expect(seen.own).toEqual(ALL(2));
      // worker_threads in vitest's own process, started with node's default pool (the plugin cannot change it).
      const main = looks.filter((l) => l.project === 'threads');
      expect(new Set(main.map((l) => l.pid)).size).toBe(1);
      expect(Math.max(...seen.threads)).toBeLessThanOrEqual(4);
      expect(trace?.unreturned).toBe(0);
    }, 120_000);
  }

  it(`project config files (projects: ['packages/*']), the plugin in each, make ${make43.version} -j2: forked workers 1, the user's 2 kept`, async () => {
    const { looks, trace } = await check(make43, suite(true, 'files'));
    console.log(`project config files: ${JSON.stringify(byProject(looks))}`);
    const seen = byProject(looks);
    expect(seen.forks).toEqual(ALL(1));
    expect(seen.own).toEqual(ALL(2));
    expect(trace?.unreturned).toBe(0);
  }, 120_000);

  it(`the control: without the plugin, make ${make43.version} -j2, every forked worker has node's 4`, async () => {
    const { looks } = await check(make43, suite(false));
    console.log(`no plugin: ${JSON.stringify(byProject(looks))}`);
    const seen = byProject(looks);
    expect(seen.forks).toEqual(ALL(4));
    expect(seen.own).toEqual(ALL(2));
  }, 120_000);

  it(`the user's --v8-pool-size=3 in NODE_OPTIONS is kept, make ${make44.version} -j2`, async () => {
    const { looks, trace } = await check(make44, suite(true), { nodeOptions: '--v8-pool-size=3' });
    console.log(`NODE_OPTIONS --v8-pool-size=3: ${JSON.stringify(byProject(looks))}`);
    const seen = byProject(looks);
    expect(seen.forks).toEqual(ALL(3));
    expect(seen.own).toEqual(ALL(2)); // execArgv wins over NODE_OPTIONS
    expect(trace?.unreturned).toBe(0);
  }, 120_000);

  it(`under \`jobslot run --spawn\` (its --v8-pool-size for the run's slots in NODE_OPTIONS), make ${make44.version} -j2: each forked worker still 1`, async () => {
    const { looks, trace } = await check(make44, suite(true), { wrap: `node ${sh(CLI)} run --spawn -- ` });
    console.log(`jobslot run: ${JSON.stringify(byProject(looks))}, NODE_OPTIONS sizes ${JSON.stringify(looks.map((l) => l.nodeOptionsSize))}`);
    const seen = byProject(looks);
    expect(looks.find((l) => l.project === 'threads')!.parent).toBe('jobslot');
    // What jobslot run gave every node process beneath it: the forked workers inherit it, and override it.
    const runSize = looks.find((l) => l.project === 'threads')?.nodeOptionsSize;
    expect(runSize).toBeGreaterThanOrEqual(1);
    expect(looks.every((l) => l.nodeOptionsSize === runSize)).toBe(true);
    expect(seen.forks).toEqual(ALL(1));
    expect(seen.own).toEqual(ALL(2));
    // vitest's own process (its threads pool's workers) keeps the run's size.
    expect(Math.max(...seen.threads)).toBeLessThanOrEqual(runSize!);
    expect(trace?.unreturned).toBe(0);
  }, 120_000);

  it(`under \`jobslot run\` started with one V8 helper, vitest in its process, make ${make44.version} -j2: each forked worker 1; vitest's own threads keep jobslot's pool`, async () => {
    // jobslot run runs a node command in its own process only where its V8 pool fits the slots
    // (else as above); NODE_OPTIONS=--v8-pool-size=1 for jobslot itself makes it fit.
    const { looks, trace } = await check(make44, suite(true), { wrap: `node ${sh(CLI)} run -- `, nodeOptions: '--v8-pool-size=1' });
    console.log(`jobslot run, in its process: ${JSON.stringify(byProject(looks))}, NODE_OPTIONS sizes ${JSON.stringify(looks.map((l) => l.nodeOptionsSize))}`);
    const seen = byProject(looks);
    expect(seen.forks).toEqual(ALL(1));
    expect(seen.own).toEqual(ALL(2));
    // vitest runs in jobslot run's own process (its parent is the recipe's shell, no jobslot
    // between): its threads share that process's one helper.
    const main = looks.filter((l) => l.project === 'threads');
    expect(new Set(main.map((l) => l.pid)).size).toBe(1);
    expect(main[0]!.parent).toBe('sh');
    expect(seen.threads).toEqual(ALL(1));
    expect(trace?.unreturned).toBe(0);
  }, 120_000);
});
