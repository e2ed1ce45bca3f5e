#!/usr/bin/env node
// Benchmark: four production webpack builds under `make -j2` (webpack's
// default minimizer in two, terser-webpack-plugin in one, a 4-compiler array
// config in one; one of them also runs thread-loader), with and without
// @jobslot/webpack-plugin, side by side in each round.
//
//   node bench/webpack-plugin.mjs [--runs 3] [--jobs 2] [--entries 4] [--modules 6]
//
// Table 1, on this machine and on a simulated 16-core one (a --require preload
// makes os.cpus() and os.availableParallelism() report 16; GOMAXPROCS=16,
// ROLLDOWN_WORKER_THREADS=24, RAYON_NUM_THREADS=16 in the environment; these
// three size no pool in these builds, but are set as a 16-core CI would): peak
// minimizer workers alive at once across all builds, peak thread-loader
// workers in one process, runnable threads of the make process tree (p50/p95/
// max, sampled from /proc every 20 ms by test/support/procstat.mjs), peak total
// RSS of the tree, wall time, CPU time of the whole tree (user + system, from
// /usr/bin/time). Medians over the runs; the load average before and after
// says how busy the machine was with other work.
//
// Table 2, the `moduleBuilds` option (module builds in slots), plugin on in
// both columns: builds whose loader puts CPU work on the libuv threadpool (as
// esbuild-loader, swc-loader, sass-embedded put it on their own threads), and
// the ordinary builds of table 1.
//
// Needs `npx turbo run build` first.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { startSampler } from '../test/support/procstat.mjs';
import { table } from './lib/table.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/webpack-plugin');
if (!existsSync(join(ROOT, 'packages/webpack-plugin/dist/index.cjs'))) {
  console.error('packages/webpack-plugin/dist missing: run `npx turbo run build` first');
  process.exit(1);
}
const { writeProject } = createRequire(import.meta.url)(join(FIXTURES, 'project.cjs'));

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '2' },
    entries: { type: 'string', default: '4' },
    modules: { type: 'string', default: '6' },
    only: { type: 'string', default: 'pools,modules' },
  },
});
const RUNS = Number(args.runs);
const JOBS = Number(args.jobs);
const ONLY = args.only.split(',');

function sample(root) {
  const sampler = startSampler(root, { intervalMs: 20 });
  return () => {
    const { runnable, peakRssKb } = sampler.stop();
    return { ...runnable, peakRssKb };
  };
}

// ---- worker log (written by test/fixtures/webpack-plugin/worker-log.cjs) ----

function workerPeaks(file, kind) {
  if (!existsSync(file)) return { all: 0, perProcess: 0 };
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.kind === kind)
    .sort((a, b) => a.t - b.t || (a.ev === 'exit' ? -1 : 1));
  let alive = 0;
  let all = 0;
  let perProcess = 0;
  const byPid = new Map();
  for (const e of events) {
    const d = e.ev === 'start' ? 1 : -1;
    alive += d;
    all = Math.max(all, alive);
    const mine = (byPid.get(e.pid) ?? 0) + d;
    byPid.set(e.pid, mine);
    perProcess = Math.max(perProcess, mine);
  }
  return { all, perProcess };
}

// ---- one make run ----

const sh = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

function makefile(project, out, builds) {
  const node = `node --require ${sh(join(ROOT, 'test/support/cpus16.cjs'))} --require ${sh(join(FIXTURES, 'worker-log.cjs'))} ${sh(join(FIXTURES, 'build.cjs'))}`;
  const targets = builds.map((b, i) => `b${i}`);
  const lines = [`all: ${targets.join(' ')}`, `.PHONY: all ${targets.join(' ')}`];
  builds.forEach((b, i) => lines.push(`b${i}:`, `\t+${node} ${b} ${sh(project)} ${sh(join(out, `b${i}`))}`));
  return `${lines.join('\n')}\n`;
}

function cleanEnv(extra) {
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'JOBSLOT_TRACE', 'JOBSLOT_POOL', 'FAKE_CORES']) delete env[k];
  return { ...env, ...extra };
}

async function runOnce({ project, builds, env }) {
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-bench-webpack-'));
  writeFileSync(join(dir, 'Makefile'), makefile(project, join(dir, 'out'), builds));
  const trace = join(dir, 'trace.jsonl');
  const log = join(dir, 'workers.jsonl');
  const started = performance.now();
  // /usr/bin/time reports the CPU time of make and every process it waited
  // for: steadier than wall time on a machine shared with other work.
  const child = spawn('/usr/bin/time', ['-f', 'cpu-seconds %U %S', 'make', '-s', `-j${JOBS}`], {
    cwd: dir,
    env: cleanEnv({ JOBSLOT_TRACE: trace, WORKER_LOG: log, ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = sample(child.pid);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - started;
  const procs = stop();
  if (code !== 0) throw new Error(`make failed (${code}):\n${stderr}`);
  const report = analyzeTrace(existsSync(trace) ? readTrace(trace) : [], JOBS);
  const cpu = /cpu-seconds ([\d.]+) ([\d.]+)/.exec(stderr);
  const result = {
    wallMs,
    cpuS: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN,
    ...procs,
    minimizer: workerPeaks(log, 'minimizer').all,
    threadLoader: workerPeaks(log, 'thread-loader').perProcess,
    slots: existsSync(trace) ? report.peak : undefined,
    unreturned: report.unreturned,
    leak: /INTERNAL: Exiting with \d+ jobserver tokens?/.test(stderr),
  };
  rmSync(dir, { recursive: true, force: true });
  return result;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

/** Runs every variant once per round, interleaved, so machine noise hits them alike. */
async function compare(variants, runs) {
  const results = variants.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let v = 0; v < variants.length; v++) results[v].push(await runOnce(variants[v]));
  }
  return variants.map((variant, v) => {
    const rs = results[v];
    const m = (key) => median(rs.map((x) => x[key]));
    return {
      name: variant.name,
      minimizer: Math.max(...rs.map((x) => x.minimizer)),
      threadLoader: Math.max(...rs.map((x) => x.threadLoader)),
      p50: m('p50'),
      p95: m('p95'),
      max: Math.max(...rs.map((x) => x.max)),
      rssMb: Math.round(Math.max(...rs.map((x) => x.peakRssKb)) / 1024),
      wallS: (m('wallMs') / 1000).toFixed(2),
      wallAll: rs.map((x) => (x.wallMs / 1000).toFixed(1)).join(' '),
      cpuS: m('cpuS').toFixed(1),
      slots: variant.env.JOBSLOT_WEBPACK === 'off' ? '-' : Math.max(...rs.map((x) => x.slots ?? 0)),
      unreturned: rs.reduce((a, x) => a + x.unreturned, 0) + rs.filter((x) => x.leak).length,
    };
  });
}

function print(title, rows, columns) {
  table(
    title,
    columns.map(([h]) => h),
    rows.map((row) => columns.map(([, f]) => String(f(row)))),
  );
}

// ---- main ----

const project = mkdtempSync(join(tmpdir(), 'jobslot-bench-webpack-project-'));
writeProject(project, { entries: Number(args.entries), modules: Number(args.modules) });
const FOUR = ['default', 'css', 'terser', 'multi'];
const SIXTEEN = { FAKE_CORES: '16', GOMAXPROCS: '16', ROLLDOWN_WORKER_THREADS: '24', RAYON_NUM_THREADS: '16' };
const here = String(availableParallelism());

console.log(`webpack plugin benchmark: make -j${JOBS}, ${RUNS} run(s) per variant, ${availableParallelism()} CPUs, load average before ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('minimizer workers: alive at once across all builds; thread-loader: the most in one process; wall and runnable: medians; RSS and max: the largest run');

const columns = [
  ['variant', (r) => r.name],
  ['minimizer workers', (r) => r.minimizer],
  ['thread-loader', (r) => r.threadLoader],
  ['runnable p50/p95/max', (r) => `${r.p50}/${r.p95}/${r.max}`],
  ['peak RSS MB', (r) => r.rssMb],
  ['wall s (runs)', (r) => `${r.wallS} (${r.wallAll})`],
  ['CPU s', (r) => r.cpuS],
  ['trace peak slots', (r) => r.slots],
  ['unreturned', (r) => r.unreturned],
];

if (ONLY.includes('pools')) {
  for (const [label, env] of [
    [`this machine (${here} CPUs)`, { FAKE_CORES: here }],
    ['simulated 16 CPUs', SIXTEEN],
  ]) {
    const rows = await compare(
      [
        { name: 'without plugin', project, builds: FOUR, env: { ...env, JOBSLOT_WEBPACK: 'off' } },
        { name: 'with plugin', project, builds: FOUR, env },
      ],
      RUNS,
    );
    print(`Table 1: four builds, make -j${JOBS}, ${label}`, rows, columns);
  }
}

// pbkdf2 rounds per module in offload-loader: about 50 ms of CPU each here.
const OFFLOAD_ROUNDS = process.env.OFFLOAD_ROUNDS ?? '150000';

if (ONLY.includes('modules')) {
  for (const [label, builds] of [
    ['loader work on other threads (offload-loader: pbkdf2 on the libuv pool)', ['offload', 'offload', 'offload', 'offload']],
    ['ordinary builds (table 1)', FOUR],
  ]) {
    const rows = await compare(
      [
        { name: 'moduleBuilds: false', project, builds, env: { FAKE_CORES: here, OFFLOAD_ROUNDS } },
        { name: 'moduleBuilds: true', project, builds, env: { FAKE_CORES: here, OFFLOAD_ROUNDS, JOBSLOT_MODULE_BUILDS: '1' } },
      ],
      RUNS,
    );
    print(`Table 2: moduleBuilds, make -j${JOBS}, ${label}`, rows, columns.filter(([h]) => h !== 'thread-loader'));
  }
}

console.log(`\nload average after ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
rmSync(project, { recursive: true, force: true });
