#!/usr/bin/env node
// Benchmark: six esbuild builds under `make -j2`, each bundling a few thousand
// generated modules, with and without @jobslot/esbuild-plugin, side by side.
//
//   node bench/esbuild-plugin.mjs [--runs 3] [--jobs 2] [--scripts 6] [--groups 50] [--per-group 40]
//                                 [--machines real,sim16] [--make PATH]
//
// Variants (each recipe is `+node build.mjs ...`, one build per recipe):
//   none          esbuild's own build(), no jobslot
//   jobslot       this package's build() (the plugin, and the Go service sized to the slots held)
//   jobslot run   `jobslot run -- node build.mjs --mode none`: no plugin, the thread
//                 variables set by the command from core (what covers the esbuild CLI)
// Machines:
//   real          this machine as it is
//   sim16         a simulated 16-core one, as the tools would size themselves there: a
//                 --require preload (test/support/cpus16.cjs) makes os.cpus() and
//                 os.availableParallelism() report 16, and GOMAXPROCS=16,
//                 ROLLDOWN_WORKER_THREADS=24, RAYON_NUM_THREADS=16 are in the environment
//                 (jobslot lowers them to the slots it holds)
//
// Sampled from /proc every 10 ms across make's process tree: runnable threads
// (state R) of esbuild's Go services, and of the whole tree; the Go threads the
// live services were allowed (sum of their GOMAXPROCS; unset counts as the CPU
// count, as Go does); resident memory. Plus wall time (median of --runs after a
// warm-up), and for jobslot runs the trace's peak slots and unreturned tokens.
//
// Targets: with jobslot, runnable esbuild threads at p95 <= N (Go's threads
// kept to the slots held), wall time within 10% of the run without it (jobslot
// must not cost a build its speed). The machine is shared: wall-time
// ratios are noisy. Build the packages first (npx turbo run build).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { percentile, processTree, runnableThreads } from '../test/support/procstat.mjs';
import { table } from './lib/table.mjs';
import { generateTree } from '../test/fixtures/esbuild-plugin/gen-src.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'test/fixtures/esbuild-plugin/build.mjs');
const CLI = join(ROOT, 'packages/core/dist/cli.js');
const CPUS16 = join(ROOT, 'test/support/cpus16.cjs');
for (const need of [CLI, join(ROOT, 'packages/esbuild-plugin/dist/index.js')]) {
  if (!existsSync(need)) {
    console.error(`${need} missing: run \`npx turbo run build\` first`);
    process.exit(1);
  }
}

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '2' },
    scripts: { type: 'string', default: '6' },
    groups: { type: 'string', default: '50' },
    'per-group': { type: 'string', default: '40' },
    machines: { type: 'string', default: 'real,sim16' },
    make: { type: 'string', default: 'make' },
  },
});
const RUNS = Number(args.runs);
const JOBS = Number(args.jobs);
const SCRIPTS = Number(args.scripts);
const MACHINES = args.machines.split(',');
const CPUS = availableParallelism();

const VARIANTS = [
  { name: 'none', recipe: (q, out) => `node ${q(SCRIPT)} --mode none --builds 1 --src $(SRC) --out ${out}`, traced: false },
  { name: 'jobslot', recipe: (q, out) => `node ${q(SCRIPT)} --mode build --builds 1 --src $(SRC) --out ${out}`, traced: true },
  { name: 'jobslot run', recipe: (q, out) => `node ${q(CLI)} run -- node ${q(SCRIPT)} --mode none --builds 1 --src $(SRC) --out ${out}`, traced: true },
];

const MACHINE_ENV = {
  real: {},
  sim16: {
    NODE_OPTIONS: `--require ${CPUS16}`,
    GOMAXPROCS: '16',
    ROLLDOWN_WORKER_THREADS: '24',
    RAYON_NUM_THREADS: '16',
  },
};

function env(extra) {
  const e = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'JOBSLOT_TRACE', 'JOBSLOT_POOL', 'GOMAXPROCS', 'NODE_OPTIONS', 'ROLLDOWN_WORKER_THREADS', 'RAYON_NUM_THREADS']) delete e[k];
  return { ...e, ...extra };
}

/** GOMAXPROCS a service was started with; unset means every CPU, as Go does. Read once per pid. */
const gomaxprocsCache = new Map();
function gomaxprocs(pid) {
  if (!gomaxprocsCache.has(pid)) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (environ === '') return 0; // exited, not yet reaped
      const entry = environ.split('\0').find((e) => e.startsWith('GOMAXPROCS='));
      gomaxprocsCache.set(pid, entry ? Number(entry.slice(11)) : CPUS);
    } catch {
      return 0;
    }
  }
  return gomaxprocsCache.get(pid);
}

function sampler(root) {
  const samples = [];
  const timer = setInterval(() => {
    let all = 0;
    let go = 0;
    let allowed = 0;
    let rssKb = 0;
    for (const p of processTree(root)) {
      if (p.pid === process.pid) continue;
      const r = runnableThreads(p.pid).length;
      all += r;
      rssKb += p.rssKb;
      if (p.comm === 'esbuild') {
        go += r;
        allowed += gomaxprocs(p.pid);
      }
    }
    samples.push({ all, go, allowed, rssKb });
  }, 10);
  return () => {
    clearInterval(timer);
    return samples;
  };
}

async function once(variant, machine, src) {
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-bench-esbuild-'));
  const tracePath = join(dir, 'trace.jsonl');
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const names = Array.from({ length: SCRIPTS }, (_, i) => `b${i}`);
  writeFileSync(
    join(dir, 'Makefile'),
    [`SRC := ${q(src)}`, `all: ${names.join(' ')}`, `${names.join(' ')}:`, `\t+@${variant.recipe(q, `${q(dir)}/$@`)}`, ''].join('\n'),
  );
  const started = performance.now();
  const child = spawn(args.make, [`-j${JOBS}`], {
    cwd: dir,
    env: env({ ...MACHINE_ENV[machine], ...(variant.traced ? { JOBSLOT_TRACE: tracePath } : {}) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = sampler(child.pid);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - started;
  const samples = stop();
  if (code !== 0) throw new Error(`${variant.name} on ${machine} failed (${code}):\n${output}`);
  const trace = variant.traced && existsSync(tracePath) ? analyzeTrace(readTrace(tracePath), JOBS) : undefined;
  rmSync(dir, { recursive: true, force: true });
  const sorted = (k) => samples.map((s) => s[k]).sort((a, b) => a - b);
  const go = sorted('go');
  const all = sorted('all');
  return {
    wallMs,
    go95: percentile(go, 0.95),
    goMax: go.at(-1) ?? 0,
    all95: percentile(all, 0.95),
    allMax: all.at(-1) ?? 0,
    allowed: Math.max(0, ...samples.map((s) => s.allowed)),
    rssMb: Math.max(0, ...samples.map((s) => s.rssKb)) / 1024,
    peak: trace?.peak,
    unreturned: trace?.unreturned,
    leak: /INTERNAL: Exiting with \d+ jobserver tokens?/.test(output),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const src = mkdtempSync(join(tmpdir(), 'jobslot-bench-esbuild-src-'));
generateTree(src, { entries: 1, groups: Number(args.groups), perGroup: Number(args['per-group']) });
const modules = Number(args.groups) * (Number(args['per-group']) + 1) + 1;

const loadBefore = loadavg()[0];
const benchStarted = performance.now();
const rows = [];
for (const machine of MACHINES) {
  const base = {};
  for (const variant of VARIANTS) {
    await once(variant, machine, src); // warm-up: page cache, esbuild's binary
    const results = [];
    for (let i = 0; i < RUNS; i++) results.push(await once(variant, machine, src));
    const wall = median(results.map((r) => r.wallMs));
    base[variant.name] = wall;
    const maxOf = (k) => Math.max(...results.map((r) => r[k]));
    rows.push([
      machine,
      variant.name,
      wall.toFixed(0),
      variant.name === 'none' ? '1.00' : (wall / base.none).toFixed(2),
      `${median(results.map((r) => r.go95))} / ${maxOf('goMax')}`,
      `${median(results.map((r) => r.all95))} / ${maxOf('allMax')}`,
      String(maxOf('allowed')),
      median(results.map((r) => r.rssMb)).toFixed(0),
      variant.traced ? `${maxOf('peak')} of ${JOBS}` : '-',
      variant.traced ? String(maxOf('unreturned')) : '-',
      results.some((r) => r.leak) ? 'YES' : 'no',
    ]);
  }
}
rmSync(src, { recursive: true, force: true });

table(
  `esbuild-plugin: make -j${JOBS}, ${SCRIPTS} recipes of one build each (${modules} TS modules, bundle+minify+sourcemap); ` +
    `median of ${RUNS} runs after a warm-up; ${CPUS} CPUs, node ${process.version}; ` +
    `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after; ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`,
  ['machine', 'variant', 'wall ms', 'vs none', 'esbuild R p95/max', 'all R p95/max', 'Go threads allowed', 'peak RSS MB', 'trace peak', 'unreturned', 'make leak'],
  rows,
);
console.log(
  '\nR: runnable threads (state R) sampled every 10 ms; "esbuild" counts the Go services only, "all" the whole make tree.\n' +
    'Go threads allowed: the most, at any sample, of the sum of live services\' GOMAXPROCS (unset = CPU count).\n' +
    'Wall-time ratios on a shared 2-core machine are noisy; run with --runs 5 or more to compare them.',
);
