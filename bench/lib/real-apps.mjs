// The real-code apps of bench/real (sources from real npm libraries), each
// with the command its tool's users run and the wiring its README gives, in
// make's order: the longest first. Shared by real-code.mjs (all of them under
// one make, or each alone) and serve-fleet.mjs (several such builds at once);
// issue 24's other benchmarks read the commands from here too.
//
// An app:
//   name, tool     its directory under bench/real/apps, and the tool it runs
//   cmd            the tool's command, run in the app's directory (after `pre`),
//                  with OUT naming where its output goes
//   pre            shell run first, ending in `&& ` (tsc -b writes beside its
//                  configs, so its solution is copied into $OUT and built there)
//   wrap           what the READMEs say for the Makefile: true for
//                  `+jobslot run -- CMD`, false for a plain `+CMD`
//   pinArgs(n)     the command-line flags a careful user sets to keep the tool
//                  to n workers by hand (the test runners' --maxWorkers)
//   results        'vitest' | 'jest': a test suite, compared by its results
//                  (each test's name and status), not by its files
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REAL = join(ROOT, 'bench/real');
export const BIN = join(REAL, 'node_modules/.bin');

const workers = (n) => [`--maxWorkers=${n}`];

export const APPS = [
  // The first six (issue 24's table before the new tools).
  { name: 'dates-webpack', tool: 'webpack', cmd: `${BIN}/webpack --config webpack.config.cjs`, wrap: true },
  { name: 'rxjs-webpack', tool: 'webpack', cmd: `${BIN}/webpack --config webpack.config.cjs`, wrap: true },
  { name: 'mui-vite', tool: 'vite', cmd: `${BIN}/vite build`, wrap: true },
  { name: 'three-esbuild', tool: 'esbuild', cmd: 'node build.mjs', wrap: false },
  { name: 'd3-vite', tool: 'vite', cmd: `${BIN}/vite build`, wrap: true },
  { name: 'utils-esbuild', tool: 'esbuild', cmd: 'node build.mjs', wrap: false },
  // The tools added since.
  { name: 'zod-vitest', tool: 'vitest', pre: 'mkdir -p "$OUT" && ', cmd: `${BIN}/vitest run`, wrap: false, pinArgs: workers, results: 'vitest' },
  { name: 'charts-rollup', tool: 'rollup', cmd: `${BIN}/rollup -c`, wrap: true },
  {
    name: 'zod-tsc',
    tool: 'tsc',
    pre: 'rm -rf "$OUT" && mkdir -p "$OUT" && cp -r tsconfig.json tsconfig.base.json projects "$OUT"/ && cp -rL ../../node_modules/zod/src "$OUT"/src && cd "$OUT" && ',
    cmd: `${BIN}/tsc -b`,
    wrap: true,
  },
  { name: 'libs-jest', tool: 'jest', pre: 'mkdir -p "$OUT" && ', cmd: `${BIN}/jest --json --outputFile="$OUT/results.json"`, wrap: false, pinArgs: workers, results: 'jest' },
  { name: 'antd-rspack', tool: 'rspack', cmd: `${BIN}/rspack build`, wrap: true },
  { name: 'three-rolldown', tool: 'rolldown', cmd: `${BIN}/rolldown -c`, wrap: true },
];

/** The first six apps: the builds serve-fleet.mjs runs by default. */
export const FIRST_SIX = APPS.slice(0, 6).map((a) => a.name);

/** The apps named (comma-separated names or tools), in APPS' order; an unknown name is an error naming the known ones. */
export function selectApps(list) {
  if (!list) return APPS;
  const want = list.split(',').filter(Boolean);
  for (const w of want) {
    if (!APPS.some((a) => a.name === w || a.tool === w)) throw new Error(`no app or tool ${w}: one of ${APPS.map((a) => `${a.name} (${a.tool})`).join(', ')}`);
  }
  return APPS.filter((a) => want.includes(a.name) || want.includes(a.tool));
}

/** Builds test/support/cores.c (the LD_PRELOAD shim the tests use) once, as test/support/cores.ts does. */
export function coresShim() {
  const so = join(ROOT, 'node_modules/.cache/jobslot-test/cores.so');
  if (!existsSync(so)) {
    mkdirSync(join(so, '..'), { recursive: true });
    const tmp = `${so}.${process.pid}`;
    execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', tmp, join(ROOT, 'test/support/cores.c')]);
    execFileSync('mv', ['-f', tmp, so]);
  }
  return so;
}

/**
 * As on a `cores`-core machine: a preload makes os.cpus() and
 * availableParallelism() say so, the LD_PRELOAD shim makes native code
 * (Rust's available_parallelism, libuv, V8's pool, glibc) see it, GOMAXPROCS
 * for Go, and rolldown's thread count as its default on such a machine.
 */
export function asOn(cores) {
  return {
    NODE_OPTIONS: `--require ${join(ROOT, 'test/support/cpus16.cjs')}`,
    FAKE_CORES: String(cores),
    LD_PRELOAD: coresShim(),
    GOMAXPROCS: String(cores),
    ROLLDOWN_WORKER_THREADS: String(Math.round(cores * 1.5)),
    RAYON_NUM_THREADS: String(cores),
    TOKIO_WORKER_THREADS: String(cores),
  };
}

/** As on a 16-core machine, without the native shim (serve-fleet.mjs's measure, kept as it was). */
export const AS_ON_16 = {
  NODE_OPTIONS: `--require ${join(ROOT, 'test/support/cpus16.cjs')}`,
  FAKE_CORES: '16',
  GOMAXPROCS: '16',
  ROLLDOWN_WORKER_THREADS: '24',
  RAYON_NUM_THREADS: '16',
};

/**
 * Hand-pinned: every pool a careful user can set, set to `n` (cores ÷ jobs),
 * without jobslot. Node's os.cpus() says n (bench/lib/cpus.cjs: what
 * terser-webpack-plugin, css-minimizer, @rollup/plugin-terser, thread-loader,
 * vitest and jest size their workers by), V8's helper pool --v8-pool-size=n,
 * Go's GOMAXPROCS (esbuild, tsc 7), rolldown's and rspack's tokio and rayon
 * threads, rspack's loader workers; the test runners also get --maxWorkers=n
 * (APPS' pinArgs). Native code still sees the machine's cores (the shim, as
 * on 16): a pool with no setting is not pinned.
 */
export function pinned(n) {
  return {
    NODE_OPTIONS: `--require ${join(ROOT, 'bench/lib/cpus.cjs')} --v8-pool-size=${n}`,
    BENCH_NODE_CPUS: String(n),
    GOMAXPROCS: String(n),
    ROLLDOWN_WORKER_THREADS: String(n),
    RAYON_NUM_THREADS: String(n),
    TOKIO_WORKER_THREADS: String(n),
    RSPACK_LOADER_WORKER_THREADS: String(n),
  };
}

/** Quotes a string for a POSIX shell (the Makefiles' recipes). */
export const sh = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * One app's recipe line for a Makefile (after the tab and make's `+`): into
 * its directory, OUT set, `pre`, then the command, under `jobslot run` when
 * `wrap`, with `args` after it.
 */
export function recipe(app, { out, wrap, args = [], nodeFlags = [] }) {
  // wrap: true, or the options to give jobslot run ('--spawn').
  const run = wrap ? `${BIN}/jobslot run ${typeof wrap === 'string' ? `${wrap} ` : ''}-- ` : '';
  const cmd = nodeFlags.length ? withNodeFlags(app.cmd, nodeFlags) : app.cmd;
  const line = `cd ${sh(join(REAL, 'apps', app.name))} && export OUT=${sh(out)} && ${app.pre ?? ''}${run}${cmd}${args.map((a) => ` ${a}`).join('')}`;
  return line.replace(/\$/g, '$$$$');
}

/**
 * The command started as `node FLAGS SCRIPT ...`: V8 flags node takes only on
 * its command line (--single-threaded-gc; NODE_OPTIONS refuses it, and set at
 * run time through v8.setFlagsFromString it crashes V8's GC). A pnpm shim in
 * node_modules/.bin names its script (`# cmd-shim-target=`); `node X` gets
 * the flags after `node`.
 */
export function withNodeFlags(cmd, flags) {
  const [first, ...rest] = cmd.split(' ');
  if (first === 'node') return ['node', ...flags, ...rest].join(' ');
  const shim = existsSync(first) ? readFileSync(first, 'utf8') : '';
  const target = /^# cmd-shim-target=(.+)$/m.exec(shim)?.[1];
  return target ? ['node', ...flags, target, ...rest].join(' ') : cmd;
}

/** Ends the process, saying what to run, unless the packages and bench/real's dependencies are built. */
export function requireBuilt(extra = []) {
  for (const need of [join(ROOT, 'packages/webpack-plugin/dist/index.cjs'), join(ROOT, 'packages/jest/dist'), join(BIN, 'vite'), join(BIN, 'rspack'), ...extra]) {
    if (!existsSync(need)) {
      console.error(`${need} missing: run \`make build\` first`);
      process.exit(1);
    }
  }
}

/** sha256 over every file under `dir`, by relative path: one build's outputs, to compare with another's. */
export function hashTree(dir) {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${relative(dir, p)}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

/**
 * A test suite's results, without timings: each test file (relative to the
 * app), each test's full name and status, sorted. vitest's and jest's JSON
 * reporters write the same shape (testResults[].assertionResults[]).
 */
export function testResults(app, dir) {
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const lines = [];
  for (const file of json.testResults) {
    const name = file.name.replace(/^.*?\/(node_modules\/zod\/|apps\/[^/]+\/)/, '');
    lines.push(`${name}: ${file.status}`);
    for (const t of file.assertionResults) lines.push(`${name} > ${t.fullName}: ${t.status}`);
  }
  lines.sort();
  const failed = json.numFailedTests ?? 0;
  return { summary: `${json.numPassedTests} passed, ${failed} failed`, hash: createHash('sha256').update(lines.join('\n')).digest('hex'), ok: json.success === true };
}

/** What is compared between runs: the output files' hash, or a test suite's results. */
export function outputsOf(app, dir) {
  return app.results ? testResults(app, dir).hash : hashTree(dir);
}
