#!/usr/bin/env node
// Benchmark: several independent builds at once on one machine, as on a CI
// runner or under a fleet of agents, without and with `jobslot serve`.
//
// Each build is the real-code apps (bench/real; see real-code.mjs), every
// recipe under `jobslot run` with the plugins, started as a user would start
// it in a shell of its own: `jobslot run -- make` (make 4.3, given no -j).
// All builds start at once, on a machine that looks like 16 cores (a preload
// makes os.cpus() and availableParallelism() say 16; GOMAXPROCS and friends
// as a 16-core machine's defaults):
//
//   alone     no daemon: each build sizes itself to the machine, 16 slots
//             each, B x 16 in all
//   serve     `jobslot serve -j 16` runs: every build joins it, 16 in all
//
// Sampled from /proc every 20 ms (bench/lib/threads.mjs) over all builds:
// wall time until the last ends, runnable threads p50/p95, peak threads,
// peak RSS of all the builds' processes (the daemon's own ~50 MB not
// counted), CPU time. Every build's outputs are hashed and compared.
//
//   node bench/serve-fleet.mjs [--builds 4] [--jobs 16] [--runs 1] [--apps name,name]
//
// Needs `make build` (the packages' dist and bench/real's dependencies).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { APPS, AS_ON_16, FIRST_SIX, hashTree, recipe, requireBuilt, ROOT, sh } from './lib/real-apps.mjs';
import { table } from './lib/table.mjs';
import { spawnSampled } from './lib/threads.mjs';

const CLI = join(ROOT, 'packages/core/dist/cli.js');
requireBuilt([CLI]);

const { values: args } = parseArgs({
  options: {
    builds: { type: 'string', default: '4' },
    jobs: { type: 'string', default: '16' },
    runs: { type: 'string', default: '1' },
    apps: { type: 'string', default: FIRST_SIX.join(',') },
  },
});
const BUILDS = Number(args.builds);
const JOBS = Number(args.jobs);
const RUNS = Number(args.runs);
const apps = args.apps.split(',').map((name) => {
  const app = APPS.find((a) => a.name === name);
  if (!app) throw new Error(`no app ${name}: one of ${APPS.map((a) => a.name).join(', ')}`);
  return app;
});

function makefile(out) {
  const lines = [`all: ${apps.map((a) => a.name).join(' ')}`, `.PHONY: all ${apps.map((a) => a.name).join(' ')}`];
  for (const app of apps) {
    lines.push(`${app.name}:`, `\t+@${recipe(app, { out: join(out, app.name), wrap: true })}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A shell of the user's: no make variables, nothing of jobslot's. */
function shellEnv(extra) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(MAKEFLAGS|MFLAGS|MAKELEVEL|CARGO_MAKEFLAGS|JOBSLOT_.*|NODE_OPTIONS|FAKE_CORES|GOMAXPROCS|ROLLDOWN_WORKER_THREADS|RAYON_NUM_THREADS|UV_THREADPOOL_SIZE)$/.test(k)) delete env[k];
  return { ...env, ...AS_ON_16, ...extra };
}


async function startDaemon(env) {
  const daemon = spawn(process.execPath, [CLI, 'serve', '-j', String(JOBS)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  daemon.stderr.on('data', (d) => (stderr += d));
  // Up once `jobslot env` says so.
  for (let i = 0; ; i++) {
    const code = await new Promise((resolve) => spawn(process.execPath, [CLI, 'env'], { env, stdio: 'ignore' }).on('close', resolve));
    if (code === 0) return daemon;
    if (daemon.exitCode !== null || i > 400) throw new Error(`jobslot serve did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runOnce(withDaemon, reference) {
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-bench-fleet-'));
  const xdg = join(dir, 'xdg');
  mkdirSync(xdg, { mode: 0o700 });
  const env = shellEnv({ XDG_RUNTIME_DIR: xdg });
  const daemon = withDaemon ? await startDaemon(env) : undefined;
  const builds = Array.from({ length: BUILDS }, (_, i) => {
    const build = join(dir, `build${i}`);
    mkdirSync(join(build, 'out'), { recursive: true });
    writeFileSync(join(build, 'Makefile'), makefile(join(build, 'out')));
    return build;
  });
  // One root for the sampler: a shell that starts every build at once and waits.
  const script = `${builds.map((b) => `(cd ${sh(b)} && node ${sh(CLI)} run -- make -s) & pids="$pids $!"`).join('\n')}\nfail=0; for p in $pids; do wait $p || fail=1; done; exit $fail`;
  const { done, sampler } = spawnSampled('sh', ['-c', script], { env }, { cores: JOBS });
  const { code, output, wallS } = await done;
  const s = sampler.stop();
  if (daemon) {
    daemon.kill('SIGTERM');
    await new Promise((resolve) => daemon.on('close', resolve));
  }
  if (code !== 0) throw new Error(`a build failed in ${dir}:\n${output}`);
  const hashes = builds.map((b) => Object.fromEntries(apps.map((a) => [a.name, hashTree(join(b, 'out', a.name))])));
  reference.hashes ??= hashes[0];
  const differ = hashes.flatMap((h) => apps.filter((a) => h[a.name] !== reference.hashes[a.name]).map((a) => a.name));
  rmSync(dir, { recursive: true, force: true });
  return { wallS, ...s, differ, lost: /not returned|more job tokens came back/.test(output) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const reference = {};
const results = { alone: [], serve: [] };
console.error(`serve-fleet: ${BUILDS} builds of ${apps.map((a) => a.name).join(', ')} at once, as on 16 cores; load average before: ${loadavg()[0].toFixed(2)}`);
for (let r = 0; r < RUNS; r++) {
  for (const variant of ['alone', 'serve']) {
    const res = await runOnce(variant === 'serve', reference);
    results[variant].push(res);
    console.error(`  ${variant}, round ${r + 1}: ${res.wallS.toFixed(1)} s, CPU ${res.cpuS.toFixed(1)} s, runnable p95 ${res.runnable.p95}, RSS ${Math.round(res.peakRssKb / 1024)} MB`);
  }
}
const rows = Object.entries(results).map(([variant, rs]) => {
  const m = (f) => median(rs.map(f));
  return [
    variant === 'alone' ? `no daemon (${BUILDS} x 16 slots)` : `jobslot serve -j ${JOBS}`,
    `${m((x) => x.wallS).toFixed(1)} (${rs.map((x) => x.wallS.toFixed(1)).join(', ')})`,
    m((x) => x.cpuS).toFixed(1),
    `${m((x) => x.runnable.p50)}/${m((x) => x.runnable.p95)}`,
    m((x) => x.peakThreads),
    Math.round(m((x) => x.peakRssKb) / 1024),
    rs.every((x) => x.differ.length === 0) ? 'same' : `differ: ${[...new Set(rs.flatMap((x) => x.differ))].join(' ')}`,
    rs.some((x) => x.lost) ? 'tokens lost' : 'all back',
  ];
});
table(
  `${BUILDS} independent builds at once (jobslot run -- make, every recipe under jobslot run), as on 16 cores; medians of ${RUNS}`,
  ['variant', 'wall s (runs)', 'CPU s', 'runnable p50/p95', 'threads peak', 'RSS peak MB', 'outputs', 'tokens'],
  rows,
);
const [alone, serve] = ['alone', 'serve'].map((v) => results[v]);
const ratio = (f) => (median(serve.map(f)) / median(alone.map(f))).toFixed(2);
console.log(`\njobslot serve / no daemon: wall x${ratio((x) => x.wallS)}, RSS peak x${ratio((x) => x.peakRssKb)}, runnable p95 ${median(alone.map((x) => x.runnable.p95))} -> ${median(serve.map((x) => x.runnable.p95))}`);
