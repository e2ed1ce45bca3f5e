#!/usr/bin/env node
// Benchmark on real code: six apps whose sources are real npm libraries
// (bench/real/apps: three.js and its addons, @mui/material with react and
// emotion, d3, rxjs with bootstrap's Sass, date-fns, lodash-es), each built by
// its tool the way that tool's users configure it (esbuild: several entry
// points and formats; vite 8: @vitejs/plugin-react and terser; webpack 5:
// babel-loader, sass-loader, terser and css-minimizer), all six under one
// `make -jN` (make 4.3, pipe jobserver), side by side in each round:
//
//   plain            the same builds without jobslot
//   as the READMEs   esbuild: the plugin's build(); webpack and vite: the
//                    plugin under `jobslot run` (both READMEs' Makefiles)
//   all wrapped      the plugins, and every recipe under `jobslot run` (which
//                    sizes V8's helper pool, --v8-pool-size, to the slots)
//
// on this machine and as on 16 cores (a --require preload makes os.cpus() and
// os.availableParallelism() say 16; GOMAXPROCS=16, ROLLDOWN_WORKER_THREADS=24,
// RAYON_NUM_THREADS=16, as a 16-core machine's defaults would be).
//
// Sampled from /proc every 20 ms (bench/lib/threads.mjs): runnable threads
// p50/p95, peak thread count, peak RSS of the tree, CPU time per process. Idle
// core-seconds with work queued: cores no runnable thread of the tree used
// while a recipe waited to start (per-recipe start/end log) or, with jobslot,
// a task waited for a slot (the trace). Every run's outputs are hashed and
// compared with the first plain run's; make's own "INTERNAL: Exiting with N
// jobserver tokens" line and the trace say whether every token came back.
//
//   node bench/real-code.mjs [--runs 3] [--jobs 2] [--machines here,16] [--variants plain,readme,wrapped] [--from FILE]
//
// Needs `make build` (the packages' dist and bench/real's dependencies).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { spawnSampled } from './lib/threads.mjs';
import { table } from './lib/table.mjs';
import { APPS, AS_ON_16, BIN, hashTree, REAL, requireBuilt, sh } from './lib/real-apps.mjs';

requireBuilt();

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '2' },
    machines: { type: 'string', default: 'here,16' },
    variants: { type: 'string', default: 'plain,readme,wrapped' },
    from: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const JOBS = Number(args.jobs);

const VARIANTS = {
  plain: { label: 'plain', env: { JOBSLOT_OFF: '1' }, wrap: () => false },
  readme: { label: 'jobslot, as the READMEs', env: {}, wrap: (app) => app.tool === 'vite' || app.tool === 'webpack' },
  wrapped: { label: 'jobslot, all under jobslot run', env: {}, wrap: () => true },
};
const MACHINES = {
  here: { label: `this machine (${availableParallelism()} CPUs)`, env: {} },
  16: {
    label: 'as on 16 CPUs',
    env: AS_ON_16,
  },
};

function makefile(variant, out, log) {
  const lines = [`all: ${APPS.map((a) => a.name).join(' ')}`, `.PHONY: all ${APPS.map((a) => a.name).join(' ')}`];
  for (const app of APPS) {
    const run = variant.wrap(app) ? `${BIN}/jobslot run -- ` : '';
    const stamp = (ev) => `echo "${ev} ${app.name} $$(date +%s%3N)" >> ${sh(log)}`;
    // `+`: make 4.3 hands its jobserver pipe only to recipes marked so.
    lines.push(`${app.name}:`, `\t+@${stamp('start')}; cd ${sh(join(REAL, 'apps', app.name))} && OUT=${sh(join(out, app.name))} ${run}${app.cmd}; s=$$?; ${stamp('end')}; exit $$s`);
  }
  return `${lines.join('\n')}\n`;
}

function cleanEnv(extra) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(MAKEFLAGS|MFLAGS|MAKELEVEL|MAKE_TERMOUT|MAKE_TERMERR|CARGO_MAKEFLAGS|JOBSLOT_.*|NODE_OPTIONS|FAKE_CORES|GOMAXPROCS|ROLLDOWN_WORKER_THREADS|RAYON_NUM_THREADS|UV_THREADPOOL_SIZE)$/.test(k)) delete env[k];
  return { ...env, ...extra };
}


/** When work was queued: a recipe not yet started (its log), or a jobslot task waiting for a slot (the trace). */
function queuedAt(log, events) {
  const starts = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('start '))
    .map((l) => Number(l.split(' ')[2]))
    .sort((a, b) => a - b);
  const lastStart = starts.length === APPS.length ? starts.at(-1) : Infinity;
  const pending = new Map(); // pid -> [[t, pending]]
  for (const e of events) {
    if (e.pending === undefined && e.ev !== 'exit') continue;
    const list = pending.get(e.pid) ?? [];
    list.push([e.t, e.ev === 'exit' ? 0 : e.pending]);
    pending.set(e.pid, list);
  }
  return (t) => {
    if (t < lastStart) return true;
    for (const list of pending.values()) {
      let last = 0;
      for (const [te, p] of list) {
        if (te > t) break;
        last = p;
      }
      if (last > 0) return true;
    }
    return false;
  };
}

async function runOnce(variant, machine, reference) {
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-bench-real-'));
  const out = join(dir, 'out');
  const log = join(dir, 'jobs.log');
  const trace = join(dir, 'trace.jsonl');
  mkdirSync(out);
  writeFileSync(log, '');
  writeFileSync(join(dir, 'Makefile'), makefile(variant, out, log));
  const { done, sampler } = spawnSampled('make', ['-s', `-j${JOBS}`], { cwd: dir, env: cleanEnv({ ...machine.env, ...variant.env, JOBSLOT_TRACE: trace }) }, { cores: JOBS });
  const { code, output, wallS } = await done;
  const events = existsSync(trace) ? readTrace(trace) : [];
  const s = sampler.stop(queuedAt(log, events));
  if (code !== 0) throw new Error(`make failed (${code}) in ${dir}:\n${output}`);
  const hashes = Object.fromEntries(APPS.map((a) => [a.name, hashTree(join(out, a.name))]));
  reference.hashes ??= hashes;
  const differ = APPS.filter((a) => hashes[a.name] !== reference.hashes[a.name]).map((a) => a.name);
  const report = analyzeTrace(events, JOBS);
  rmSync(dir, { recursive: true, force: true });
  return {
    wallS,
    ...s,
    differ,
    slots: events.length ? report.peak : undefined,
    unreturned: report.unreturned + (/INTERNAL: Exiting with \d+ jobserver tokens?/.test(output) ? 1 : 0),
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

function summarize(rs) {
  const m = (f) => median(rs.map(f));
  const classes = new Map();
  for (const r of rs) {
    for (const [cls, c] of r.classes) {
      const acc = classes.get(cls) ?? { mean: 0, atP95: 0 };
      acc.mean += c.mean / rs.length;
      acc.atP95 += c.atP95 / rs.length;
      classes.set(cls, acc);
    }
  }
  const cpuByKind = new Map();
  for (const r of rs) for (const [k, v] of r.cpuByKind) cpuByKind.set(k, (cpuByKind.get(k) ?? 0) + v / rs.length);
  return {
    wallS: m((r) => r.wallS),
    walls: rs.map((r) => r.wallS.toFixed(1)).join(' '),
    n: rs.length,
    cpuS: m((r) => r.cpuS),
    // wall ÷ (CPU / N): 1.00 keeps N cores busy all along; above, cores idled; below, more than N ran.
    busy: m((r) => r.wallS / (r.cpuS / JOBS)),
    p50: m((r) => r.runnable.p50),
    p95: m((r) => r.runnable.p95),
    threads: m((r) => r.peakThreads),
    rssMb: m((r) => r.peakRssKb / 1024),
    idle: m((r) => r.idleCoreS),
    differ: [...new Set(rs.flatMap((r) => r.differ))],
    slots: rs[0].slots === undefined ? '-' : Math.max(...rs.map((r) => r.slots)),
    unreturned: rs.reduce((a, r) => a + r.unreturned, 0),
    classes,
    cpuByKind,
  };
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
if (!args.from) console.log(`Real-code benchmark: ${APPS.length} builds under make -j${JOBS} (${APPS.map((a) => a.name).join(', ')}), ${RUNS} round(s), load average before ${load()}`);

// Every run's figures go to a file first (--from FILE prints them again), so
// a long run is never lost to the printing.
const maps = (_, v) => (v instanceof Map ? { map: [...v] } : v);
const unmaps = (_, v) => (v && typeof v === 'object' && Array.isArray(v.map) ? new Map(v.map) : v);
let measured;
if (args.from) {
  measured = JSON.parse(readFileSync(args.from, 'utf8'), unmaps);
} else {
  const reference = {};
  measured = [];
  for (const m of args.machines.split(',')) {
    const machine = MACHINES[m];
    const variants = args.variants.split(',');
    const runs = variants.map(() => []);
    for (let r = 0; r < RUNS; r++) {
      // Interleaved, so drift in the machine's load hits every variant alike.
      for (let v = 0; v < variants.length; v++) {
        const res = await runOnce(VARIANTS[variants[v]], machine, reference);
        runs[v].push(res);
        process.stderr.write(`  ${machine.label}, ${VARIANTS[variants[v]].label}, round ${r + 1}: ${res.wallS.toFixed(1)} s, CPU ${res.cpuS.toFixed(1)} s, p95 ${res.runnable.p95}\n`);
      }
    }
    measured.push({ machine: m, variants: variants.map((v, i) => ({ key: v, runs: runs[i] })) });
  }
  const file = join(tmpdir(), `jobslot-bench-real-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(measured, maps));
  console.log(`figures of every run: ${file}`);
}
const results = measured.map(({ machine, variants }) => ({
  machine: MACHINES[machine],
  rows: variants.map(({ key, runs }) => ({ variant: { key, ...VARIANTS[key] }, ...summarize(runs) })),
}));

const fmt = (x, d = 2) => x.toFixed(d);
for (const { machine, rows } of results) {
  const base = rows.find((r) => r.variant.key === 'plain');
  table(
    `${machine.label}: ${APPS.length} real builds under make -j${JOBS}, median of ${rows[0].n}`,
    ['variant', 'wall s (runs)', 'CPU s', 'wall/(CPU/N)', 'runnable p50/p95', 'threads', 'RSS MB', 'idle core-s queued', 'outputs', 'slots', 'unreturned'],
    rows.map((r) => [
      r.variant.label,
      `${fmt(r.wallS, 1)} (${r.walls})`,
      fmt(r.cpuS, 1),
      fmt(r.busy),
      `${r.p50}/${r.p95}`,
      r.threads,
      fmt(r.rssMb, 0),
      fmt(r.idle, 1),
      r.differ.length ? `differ: ${r.differ.join(' ')}` : 'identical',
      r.slots,
      r.unreturned,
    ]),
  );
  if (base) {
    const sixteen = machine === MACHINES[16];
    for (const r of rows.filter((x) => x !== base)) {
      const wall = r.wallS / base.wallS;
      const cpu = r.cpuS / base.cpuS;
      const rss = r.rssMb / base.rssMb;
      console.log(`  ${r.variant.label} / plain: wall ×${fmt(wall)}, CPU ×${fmt(cpu)}, RSS ×${fmt(rss)}, runnable p95 ${base.p95} → ${r.p95}`);
      // The targets, each with its figure: runnable threads within -jN + 1, and no slower or
      // heavier than the plain build (on 16 cores, faster and lighter: what jobslot is for).
      const targets = [
        [`runnable p95 ${r.p95} ≤ N + 1 = ${JOBS + 1}`, r.p95 <= JOBS + 1],
        ...(sixteen
          ? [[`wall ×${fmt(wall)} ≤ 0.85`, wall <= 0.85], [`RSS ×${fmt(rss)} ≤ 0.7`, rss <= 0.7]]
          : [[`wall ×${fmt(wall)} ≤ 1.0`, wall <= 1.0], [`CPU ×${fmt(cpu)} ≤ 1.0`, cpu <= 1.0]]),
        [`wall/(CPU/N) ${fmt(r.busy)} within 1 ± 0.05`, Math.abs(r.busy - 1) <= 0.05],
      ];
      console.log(`    targets: ${targets.map(([what, ok]) => `${what} ${ok ? 'met' : 'NOT met'}`).join('; ')}`);
    }
  }
  for (const r of rows) {
    const kinds = [...r.cpuByKind].sort((a, b) => b[1] - a[1]).filter(([, v]) => v >= 0.05);
    console.log(`  CPU s by process, ${r.variant.label}: ${kinds.map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')}`);
  }
  // What runs above the tokens: runnable threads per class, at p95 and on average.
  const classes = [...new Set(rows.flatMap((r) => [...r.classes.keys()]))];
  const at = (r, cls, key) => fmt(r.classes.get(cls)?.[key] ?? 0, 1);
  classes.sort((a, b) => Math.max(...rows.map((r) => r.classes.get(b)?.atP95 ?? 0)) - Math.max(...rows.map((r) => r.classes.get(a)?.atP95 ?? 0)));
  table(
    `${machine.label}: runnable threads by kind, in the samples at or above p95 (mean over the run)`,
    ['process: threads', ...rows.map((r) => r.variant.label)],
    classes.filter((cls) => rows.some((r) => (r.classes.get(cls)?.mean ?? 0) >= 0.05)).map((cls) => [cls, ...rows.map((r) => `${at(r, cls, 'atP95')} (${at(r, cls, 'mean')})`)]),
  );
}
if (!args.from) console.log(`\nload average after ${load()}`);
