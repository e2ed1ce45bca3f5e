#!/usr/bin/env node
// Benchmark on real code (issue 24). Twelve apps whose sources are real npm
// libraries (bench/real/apps; commands and wiring in bench/lib/real-apps.mjs):
// webpack 5 (2), vite 8 (2), esbuild (2), rspack 2 (React + antd), rollup 4 +
// @rollup/plugin-terser, rolldown 1, TypeScript 7 `tsc -b` (a five-project
// solution of zod's sources), zod's own vitest suite and a jest suite, each
// configured as its users configure it. All under one `make -jN` (make 4.3,
// pipe jobserver; --make for another), or with --alone each app by itself
// under make (nothing to share: issue 24's "no tax"). Variants, side by side
// in interleaved rounds:
//
//   plain      the same builds without jobslot (JOBSLOT_OFF=1: the configs
//              leave the plugin out; no `jobslot run`)
//   readme     jobslot as the READMEs say: plugins in the configs, and
//              `+jobslot run -- CMD` for webpack, vite, rspack, rollup,
//              rolldown and tsc; `+CMD` for esbuild (the plugin's build()),
//              vitest and jest (plugin / withJobslot in the config). Traced
//              (JOBSLOT_TRACE), which gives the slots, the churn and the
//              tokens back
//   spawned    readme with `jobslot run --spawn`: each wrapped node tool in a
//              node of its own, as jobslot run ran them before it ran node
//              scripts in its own process
//   untraced   readme without JOBSLOT_TRACE: the pair with readme is issue
//              22's "tracing costs little" (traced within 2% of untraced)
//   pinned     hand-pinned: plain, with every pool a careful user can set
//              set to cores ÷ jobs (os.cpus() through a preload, which sizes
//              terser's, css-minimizer's, thread-loader's and the test
//              runners' workers; --v8-pool-size; GOMAXPROCS; rolldown's and
//              rspack's tokio and rayon threads; rspack's loader workers;
//              vitest's and jest's --maxWorkers): see pinned() in real-apps
//   wrapped    the plugins, and every recipe under `jobslot run`
//
// on this machine and as on 16 cores (--machines here,16: a preload makes
// os.cpus() say 16, the tests' LD_PRELOAD shim makes native code see 16, and
// GOMAXPROCS, rayon's, tokio's and rolldown's threads are 16's defaults).
//
// Sampled from /proc every 20 ms (bench/lib/threads.mjs): runnable threads
// p50/p95, peak thread count, peak RSS of the tree, CPU time per process.
// Idle core-seconds with work queued: cores no runnable thread used while a
// recipe waited to start or a jobslot task waited for a slot (the trace).
// Every app's outputs are hashed (test suites: each test's name and status)
// and compared with the first run's; make's "INTERNAL: Exiting with N
// jobserver tokens" line and the trace say whether every token came back;
// the trace gives the churn (tokens `jobslot run` took and gave back while
// its command ran, per second of `jobslot run`).
//
// Usage (the machine should be quiet; each full run takes a while):
//   node bench/real-code.mjs                       all apps under one make -j2, plain/readme/pinned, here and as on 16, 3 rounds
//   node bench/real-code.mjs --alone               each app alone under make -j2, plain vs readme (issue 24 item 2)
//   node bench/real-code.mjs --variants readme,untraced --runs 5    tracing's cost (issue 22)
//   node bench/real-code.mjs --runs 1 --warmup 0 --machines here --apps rspack,tsc     one round of two apps (by name or tool)
//   options: --runs N (3) --warmup N (1: unrecorded rounds first) --jobs N (2) --machines here,16 --variants LIST --apps LIST (--only LIST)
//            --alone --make PATH (make) --from FILE (print a saved run again)
//
// Needs `make build` (the packages' dist and bench/real's dependencies) and gcc (the 16-core shim).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { spawnSampled } from './lib/threads.mjs';
import { table } from './lib/table.mjs';
import { APPS, REAL, asOn, outputsOf, pinned, recipe, requireBuilt, selectApps, sh, testResults } from './lib/real-apps.mjs';

requireBuilt();

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    machines: { type: 'string', default: 'here,16' },
    variants: { type: 'string' },
    apps: { type: 'string' },
    only: { type: 'string' },
    alone: { type: 'boolean', default: false },
    make: { type: 'string', default: 'make' },
    from: { type: 'string' },
    keep: { type: 'boolean', default: false },
    beside: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const JOBS = Number(args.jobs);
const BESIDE = args.beside;
const ALONE = args.alone || BESIDE;
const apps = selectApps(args.apps ?? args.only);
const variantKeys = (args.variants ?? (ALONE ? 'plain,readme' : 'plain,readme,pinned')).split(',');

const VARIANTS = {
  plain: { label: 'plain', env: () => ({ JOBSLOT_OFF: '1' }), wrap: () => false },
  readme: { label: 'jobslot, as the READMEs', env: () => ({}), wrap: (app) => app.wrap, traced: true },
  untraced: { label: 'jobslot, READMEs, untraced', env: () => ({}), wrap: (app) => app.wrap },
  // readme, with each wrapped node tool in a process of its own (`jobslot run --spawn`), as before
  // jobslot run ran node scripts in its own process.
  spawned: { label: 'jobslot, READMEs, --spawn', env: () => ({}), wrap: (app) => app.wrap && '--spawn', traced: true },
  pinned: { label: 'hand-pinned', env: (share) => ({ JOBSLOT_OFF: '1', ...pinned(share) }), wrap: () => false, args: (app, share) => app.pinArgs?.(share) ?? [] },
  wrapped: { label: 'jobslot, all under jobslot run', env: () => ({}), wrap: () => true, traced: true },
  // readme, with every node tool started as `node --single-threaded-gc SCRIPT` (issue 24 item 4: V8's
  // GC helpers; only node's command line takes the flag). Forked workers inherit it (execArgv).
  gc1: { label: 'jobslot, READMEs, single-threaded GC', env: () => ({}), wrap: (app) => app.wrap, traced: true, nodeFlags: ['--single-threaded-gc'] },
  // ...and V8's concurrent compilers off too (--single-threaded implies --single-threaded-gc).
  st1: { label: 'jobslot, READMEs, single-threaded V8', env: () => ({}), wrap: (app) => app.wrap, traced: true, nodeFlags: ['--single-threaded'] },
  // readme, with jobslot's own node started with one V8 helper (NODE_OPTIONS on the recipe): every
  // wrapped node tool then runs in jobslot's process at any slot count, on that one helper. What a
  // launcher starting jobslot with a small pool would give (issue 24 item 2).
  pool1: { label: 'jobslot, READMEs, jobslot on one V8 helper', env: () => ({}), wrap: (app) => app.wrap, traced: true, nodeOptions: '--v8-pool-size=1' },
  // ...with each wrapped tool in a node of its own (--spawn) on that one helper: pool1 without the in-process part.
  pool1spawn: { label: 'jobslot, READMEs, --spawn, one V8 helper', env: () => ({}), wrap: (app) => app.wrap && '--spawn', traced: true, nodeOptions: '--v8-pool-size=1' },
};
for (const v of variantKeys) if (!VARIANTS[v]) throw new Error(`no variant ${v}: one of ${Object.keys(VARIANTS).join(', ')}`);
const MACHINES = {
  here: { label: `this machine (${availableParallelism()} CPUs)`, cores: availableParallelism(), env: () => ({}) },
  16: { label: 'as on 16 CPUs', cores: 16, env: () => asOn(16) },
};
for (const m of args.machines.split(',')) if (!MACHINES[m]) throw new Error(`no machine ${m}: one of ${Object.keys(MACHINES).join(', ')}`);

function makefile(group, variant, machine, out, log) {
  const share = Math.max(1, Math.floor(machine.cores / JOBS));
  const lines = [`all: ${group.map((a) => a.name).join(' ')}`, `.PHONY: all ${group.map((a) => a.name).join(' ')}`];
  if (BESIDE) {
    // --beside: make's other slots taken by busy loops (one core each, no jobserver client), each
    // until the app's recipe ends: the app runs on one slot with the machine's other cores busy, as
    // within the whole make, but beside the same neighbour in every variant.
    const busy = Array.from({ length: JOBS - 1 }, (_, i) => `busy${i}`);
    lines[0] += ` ${busy.join(' ')}`;
    for (const b of busy) lines.push(`${b}:`, `\t@until grep -q '^end ' ${sh(log)}; do i=0; while [ $$i -lt 20000 ]; do i=$$((i+1)); done; done`);
  }
  for (const app of group) {
    const stamp = (ev) => `echo "${ev} ${app.name} $$(date +%s%3N)" >> ${sh(log)}`;
    const line = recipe(app, { out: join(out, app.name), wrap: variant.wrap(app), args: variant.args?.(app, share) ?? [], nodeFlags: variant.nodeFlags });
    // `+`: make 4.3 hands its jobserver pipe only to recipes marked so. A subshell, since `pre` may cd.
    lines.push(`${app.name}:`, `\t+@${stamp('start')}; (${line}) > ${sh(join(out, `${app.name}.log`))} 2>&1; s=$$?; ${stamp('end')}; [ $$s = 0 ] || cat ${sh(join(out, `${app.name}.log`))}; exit $$s`);
  }
  return `${lines.join('\n')}\n`;
}

function cleanEnv(extra) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(MAKEFLAGS|MFLAGS|MAKELEVEL|MAKE_TERMOUT|MAKE_TERMERR|CARGO_MAKEFLAGS|JOBSLOT_.*|NODE_OPTIONS|FAKE_CORES|BENCH_NODE_CPUS|LD_PRELOAD|GOMAXPROCS|ROLLDOWN_WORKER_THREADS|RAYON_NUM_THREADS|TOKIO_WORKER_THREADS|RSPACK_LOADER_WORKER_THREADS|UV_THREADPOOL_SIZE)$/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

/** When work was queued: a recipe not yet started (its log), or a jobslot task waiting for a slot (the trace). */
function queuedAt(group, log, events) {
  const starts = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('start '))
    .map((l) => Number(l.split(' ')[2]))
    .sort((a, b) => a - b);
  const lastStart = starts.length === group.length ? starts.at(-1) : Infinity;
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

/** Each app's wall time from the recipes' start/end log. */
function appWalls(log) {
  const at = new Map();
  const walls = {};
  for (const l of readFileSync(log, 'utf8').split('\n')) {
    const [ev, name, t] = l.split(' ');
    if (ev === 'start') at.set(name, Number(t));
    else if (ev === 'end' && at.has(name)) walls[name] = (Number(t) - at.get(name)) / 1000;
  }
  return walls;
}

async function runOnce(group, variantKey, machine, reference) {
  const variant = VARIANTS[variantKey];
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-bench-real-'));
  const out = join(dir, 'out');
  const log = join(dir, 'jobs.log');
  const trace = join(dir, 'trace.jsonl');
  mkdirSync(out);
  writeFileSync(log, '');
  writeFileSync(join(dir, 'Makefile'), makefile(group, variant, machine, out, log));
  const share = Math.max(1, Math.floor(machine.cores / JOBS));
  const env = cleanEnv({ ...machine.env(), ...variant.env(share), ...(variant.traced ? { JOBSLOT_TRACE: trace } : {}) });
  // Added to the machine's NODE_OPTIONS (as on 16: its cpus preload), not in place of it.
  if (variant.nodeOptions) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${variant.nodeOptions}`.trim();
  const { done, sampler } = spawnSampled(args.make, ['-s', `-j${JOBS}`], { cwd: dir, env }, { cores: JOBS });
  const { code, output, wallS } = await done;
  const events = existsSync(trace) ? readTrace(trace) : [];
  const s = sampler.stop(queuedAt(group, log, events));
  if (code !== 0) throw new Error(`make failed (${code}) in ${dir}:\n${output}`);
  const differ = [];
  const tests = {};
  for (const app of group) {
    const got = outputsOf(app, join(out, app.name));
    reference[app.name] ??= got;
    if (got !== reference[app.name]) differ.push(app.name);
    if (app.results) {
      const r = testResults(app, join(out, app.name));
      tests[app.name] = r.summary;
      if (!r.ok && !differ.includes(app.name)) differ.push(`${app.name} (failed)`);
    }
  }
  const report = analyzeTrace(events, JOBS);
  let runTaken = 0;
  for (const p of report.perProcess.values()) if (p.kind === 'run') runTaken += p.acquired;
  const walls = appWalls(log);
  // --keep: the Makefile, the jobs' start/end log, each app's output log and the trace stay, for `jobslot report` and schedules.
  if (args.keep) for (const app of group) rmSync(join(out, app.name), { recursive: true, force: true });
  else rmSync(dir, { recursive: true, force: true });
  return {
    wallS,
    ...s,
    walls,
    differ,
    tests,
    traced: events.length > 0,
    slots: events.length ? report.peak : undefined,
    churn: report.churn,
    runTaken,
    runS: report.runSeconds,
    dir: args.keep ? dir : undefined,
    // CPU of the tree without make and the recipes' shells (--beside: the busy loops).
    appCpuS: s.cpuS - (s.cpuByKind.get('make, sh') ?? 0),
    cpuByApp: cpuByApp(group, out, s.cpuByCwd),
    internal: /INTERNAL: Exiting with \d+ jobserver tokens?/.test(output),
    unreturned: report.unreturned + (/INTERNAL: Exiting with \d+ jobserver tokens?/.test(output) ? 1 : 0),
  };
}

/**
 * CPU s per app and, within it, per kind of process ("app\tkind"): a process
 * belongs to the app whose directory (bench/real/apps/NAME) or output
 * directory (OUT, where zod-tsc builds) it works in; `jobslot run` as its own
 * kind, so a wrapper's cost shows beside its tool's.
 */
function cpuByApp(group, out, cpuByCwd) {
  const byApp = new Map();
  for (const [key, cpuS] of cpuByCwd) {
    const [cwd, kind] = key.split('\t');
    const app = group.find((a) => cwd === join(REAL, 'apps', a.name) || cwd.startsWith(`${join(REAL, 'apps', a.name)}/`) || cwd === join(out, a.name) || cwd.startsWith(`${join(out, a.name)}/`));
    if (!app) continue;
    const k = `${app.name}\t${kind}`;
    byApp.set(k, (byApp.get(k) ?? 0) + cpuS);
  }
  return byApp;
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
  // Means over the rounds (runs saved before cpuByApp existed have none).
  const cpuByApp = new Map();
  for (const r of rs) for (const [k, v] of r.cpuByApp ?? []) cpuByApp.set(k, (cpuByApp.get(k) ?? 0) + v / rs.length);
  const churn = rs.reduce((a, r) => a + r.churn, 0);
  const runS = rs.reduce((a, r) => a + r.runS, 0);
  return {
    wallS: m((r) => r.wallS),
    // The fastest round: this VM's slow rounds (the kernel faulting back in memory its
    // host took back: free page reporting) only add, so on short builds it is the
    // steadier figure beside the median.
    minWallS: Math.min(...rs.map((r) => r.wallS)),
    walls: rs.map((r) => r.wallS.toFixed(1)).join(' '),
    n: rs.length,
    cpuS: m((r) => r.cpuS),
    appCpuS: m((r) => r.appCpuS ?? r.cpuS),
    // wall ÷ (CPU / N): 1.00 keeps N cores busy all along; above, cores idled; below, more than N ran.
    busy: m((r) => r.wallS / (r.cpuS / JOBS)),
    p50: m((r) => r.runnable.p50),
    p95: m((r) => r.runnable.p95),
    threads: m((r) => r.peakThreads),
    rssMb: m((r) => r.peakRssKb / 1024),
    pssMb: m((r) => (r.peakPssKb ?? 0) / 1024),
    idle: m((r) => r.idleCoreS),
    differ: [...new Set(rs.flatMap((r) => r.differ))],
    tests: rs.at(-1).tests,
    traced: rs.some((r) => r.traced),
    slots: rs.some((r) => r.slots !== undefined) ? Math.max(...rs.map((r) => r.slots ?? 0)) : '-',
    // Tokens `jobslot run` took and gave back while its command ran, per second of `jobslot run`.
    churn: runS > 0 ? `${(churn / rs.length).toFixed(0)} (${(churn / runS).toFixed(2)}/s; taken ${(rs.reduce((a, r) => a + r.runTaken, 0) / rs.length).toFixed(0)})` : '-',
    unreturned: rs.reduce((a, r) => a + r.unreturned, 0),
    internal: rs.filter((r) => r.internal).length,
    appWalls: Object.fromEntries(Object.keys(rs[0].walls).map((k) => [k, median(rs.map((r) => r.walls[k] ?? NaN))])),
    classes,
    cpuByKind,
    cpuByApp,
  };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
// What is run: one group of all apps, or (--alone) one group per app.
const groups = ALONE ? apps.map((a) => [a]) : [apps];
if (!args.from) {
  console.log(
    `Real-code benchmark: ${ALONE ? 'each app alone' : `${apps.length} apps at once`} under ${args.make} -j${JOBS} (${apps.map((a) => a.name).join(', ')}), variants ${variantKeys.join(', ')}, ${RUNS} round(s), load average before ${load()}`,
  );
}

// Every run's figures go to a file first (--from FILE prints them again), so
// a long run is never lost to the printing.
const maps = (_, v) => (v instanceof Map ? { map: [...v] } : v);
const unmaps = (_, v) => (v && typeof v === 'object' && Array.isArray(v.map) ? new Map(v.map) : v);
let measured;
if (args.from) {
  measured = JSON.parse(readFileSync(args.from, 'utf8'), unmaps);
} else {
  measured = [];
  // Written after each machine and app group, so a long run is not lost to a failure or the printing.
  const file = join(tmpdir(), `jobslot-bench-real-${Date.now()}.json`);
  for (const m of args.machines.split(',')) {
    const machine = MACHINES[m];
    for (const group of groups) {
      const reference = {};
      const runs = variantKeys.map(() => []);
      const failures = variantKeys.map(() => 0);
      // Unrecorded rounds first: the tools' caches (vite's deps, jest's transforms, vitest's
      // file order) and the page cache would otherwise favour every variant but the first.
      for (let w = 0; w < Number(args.warmup); w++) {
        for (const v of variantKeys) await runOnce(group, v, machine, {}).catch((e) => process.stderr.write(`  warm-up ${VARIANTS[v].label} failed: ${String(e.message).slice(-500)}\n`));
      }
      for (let r = 0; r < RUNS; r++) {
        // Interleaved, so drift in the machine's load hits every variant alike.
        for (let v = 0; v < variantKeys.length; v++) {
          const what = ALONE ? `${group[0].name} alone, ` : '';
          let res;
          try {
            res = await runOnce(group, variantKeys[v], machine, reference);
          } catch (e) {
            // One failed build (a test timing out on a loaded machine) costs that run, not the whole benchmark.
            failures[v]++;
            process.stderr.write(`  ${machine.label}, ${what}${VARIANTS[variantKeys[v]].label}, round ${r + 1}: FAILED, left out: ${String(e.message).slice(-1500)}\n`);
            continue;
          }
          runs[v].push(res);
          process.stderr.write(`  ${machine.label}, ${what}${VARIANTS[variantKeys[v]].label}, round ${r + 1}: ${res.wallS.toFixed(2)} s, CPU ${res.cpuS.toFixed(1)} s, p95 ${res.runnable.p95}, RSS ${(res.peakRssKb / 1024).toFixed(0)} MB${res.dir ? `, kept ${res.dir}` : ''}${res.differ.length ? `, differ: ${res.differ.join(' ')}` : ''}\n`);
        }
      }
      measured.push({ machine: m, apps: group.map((a) => a.name), variants: variantKeys.map((v, i) => ({ key: v, runs: runs[i], failures: failures[i] })) });
      writeFileSync(file, JSON.stringify(measured, maps));
    }
  }
  console.log(`figures of every run: ${file}`);
}
const results = measured.map(({ machine, apps: names, variants }) => ({
  machine: MACHINES[machine],
  names: names ?? APPS.slice(0, 6).map((a) => a.name),
  rows: variants.filter(({ runs }) => runs.length > 0).map(({ key, runs, failures }) => ({ variant: { key, ...VARIANTS[key] }, failures: failures ?? 0, ...summarize(runs) })),
}));

const fmt = (x, d = 2) => x.toFixed(d);
const ratio = (a, b) => fmt(a / b);

if (results.some((r) => r.names.length === 1)) {
  // --alone: one line per app and machine; the variants' walls against plain's.
  for (const machine of new Set(results.map((r) => r.machine))) {
    const mine = results.filter((r) => r.machine === machine);
    const keys = mine[0].rows.map((r) => r.variant.key);
    const others = keys.filter((k) => k !== 'plain');
    table(
      BESIDE
        ? `${machine.label}: each app on one slot under make -j${JOBS}, busy loops on the other cores (--beside), median of ${mine[0].rows[0].n}: the app's wall s (and ÷ plain), its CPU s (without make, sh and the loops), runnable p95, RSS MB`
        : `${machine.label}: each app alone under make -j${JOBS}, median of ${mine[0].rows[0].n}: wall s (and ÷ plain), the fastest round's, CPU s, runnable p95, RSS MB`,
      ['app', ...keys.map((k) => VARIANTS[k].label), 'outputs', 'churn (readme)', 'unreturned'],
      mine.map(({ names, rows }) => {
        const base = rows.find((r) => r.variant.key === 'plain');
        return [
          names[0],
          ...rows.map((r) => {
            const wall = (x) => (BESIDE ? x.appWalls[names[0]] : x.wallS);
            const min = BESIDE ? '' : `, min ${fmt(r.minWallS)}${base && r !== base ? ` (×${ratio(r.minWallS, base.minWallS)})` : ''}`;
            return `${fmt(wall(r))}${base && r !== base ? ` (×${ratio(wall(r), wall(base))})` : ''}${min}, ${fmt(BESIDE ? r.appCpuS : r.cpuS, 1)}, p95 ${r.p95}, ${fmt(r.rssMb, 0)}`;
          }),
          rows.some((r) => r.differ.length) ? `differ: ${[...new Set(rows.flatMap((r) => r.differ))].join(' ')}` : 'identical',
          rows.find((r) => r.variant.traced)?.churn ?? '-',
          rows.reduce((a, r) => a + r.unreturned, 0),
        ];
      }),
    );
    if (keys.includes('readme') && keys.includes('untraced')) {
      const cost = mine.map(({ names, rows }) => `${names[0]} ×${ratio(rows.find((r) => r.variant.key === 'readme').wallS, rows.find((r) => r.variant.key === 'untraced').wallS)}`);
      console.log(`  tracing's cost, traced / untraced wall (issue 22: within 1.02): ${cost.join(', ')}`);
    }
    if (keys.includes('plain')) {
      for (const k of others) {
        const over = mine.filter(({ rows }) => rows.find((r) => r.variant.key === k).wallS > 1.03 * rows.find((r) => r.variant.key === 'plain').wallS).map((r) => r.names[0]);
        console.log(`  ${VARIANTS[k].label}: within 3% of plain wall for ${mine.length - over.length} of ${mine.length} apps${over.length ? `; above: ${over.join(', ')}` : ''}`);
      }
    }
  }
} else {
  for (const { machine, names, rows } of results) {
    const base = rows.find((r) => r.variant.key === 'plain');
    table(
      `${machine.label}: ${names.length} real apps under make -j${JOBS}, median of ${rows[0].n}`,
      ['variant', 'wall s (runs)', 'CPU s', 'wall/(CPU/N)', 'runnable p50/p95', 'threads', 'RSS / PSS MB', 'idle core-s queued', 'outputs', 'slots', 'churn (per s of run)', 'unreturned'],
      rows.map((r) => [
        r.variant.label,
        `${fmt(r.wallS, 1)} (${r.walls})`,
        fmt(r.cpuS, 1),
        fmt(r.busy),
        `${r.p50}/${r.p95}`,
        r.threads,
        `${fmt(r.rssMb, 0)} / ${fmt(r.pssMb, 0)}`,
        fmt(r.idle, 1),
        `${r.differ.length ? `differ: ${r.differ.join(' ')}` : 'identical'}${r.failures ? `; ${r.failures} run(s) failed` : ''}`,
        r.slots,
        r.churn,
        `${r.unreturned}${r.traced ? '' : ' (make only)'}`,
      ]),
    );
    const tests = rows[0].tests;
    if (Object.keys(tests).length) console.log(`  test suites: ${Object.entries(tests).map(([k, v]) => `${k} ${v}`).join('; ')}`);
    for (const r of rows.filter((x) => x !== base)) {
      const against = (b, name) => {
        const wall = r.wallS / b.wallS;
        const cpu = r.cpuS / b.cpuS;
        const rss = r.rssMb / b.rssMb;
        const pss = b.pssMb > 0 ? ` (PSS ×${fmt(r.pssMb / b.pssMb)})` : '';
        return { line: `${r.variant.label} / ${name}: wall ×${fmt(wall)}, CPU ×${fmt(cpu)}, RSS ×${fmt(rss)}${pss}, runnable p95 ${b.p95} → ${r.p95}`, wall, cpu, rss };
      };
      if (base) console.log(`  ${against(base, 'plain').line}`);
      const pin = rows.find((x) => x.variant.key === 'pinned');
      if (pin && r !== pin) console.log(`  ${against(pin, 'hand-pinned').line}`);
      const untraced = rows.find((x) => x.variant.key === 'untraced');
      if (untraced && r.variant.key === 'readme') console.log(`  tracing's cost: traced / untraced wall ×${ratio(r.wallS, untraced.wallS)} (issue 22: within 1.02)`);
      if (base && (r.variant.key === 'readme' || r.variant.key === 'wrapped')) {
        const sixteen = machine === MACHINES[16];
        const { wall, rss, cpu } = against(base, 'plain');
        const pinWall = pin ? r.wallS / pin.wallS : undefined;
        // Issue 24's targets, each with its figure.
        const targets = [
          [`runnable p95 ${r.p95} ≤ N + 1 = ${JOBS + 1}`, r.p95 <= JOBS + 1],
          [`wall ×${fmt(wall)} ≤ plain`, wall <= 1.0],
          ...(pinWall !== undefined ? [[`wall ×${fmt(pinWall)} ≤ hand-pinned`, pinWall <= 1.0]] : []),
          ...(sixteen ? [[`RSS ×${fmt(rss)} ≤ 0.7`, rss <= 0.7]] : [[`CPU ×${fmt(cpu)} ≤ 1.0`, cpu <= 1.0]]),
        ];
        console.log(`    targets: ${targets.map(([what, ok]) => `${what} ${ok ? 'met' : 'NOT met'}`).join('; ')}`);
      }
    }
    // Each app's own wall time (its recipe's start to end) within the whole make.
    table(
      `${machine.label}: each app's wall s within the make (recipe start to end), median`,
      ['app', ...rows.map((r) => r.variant.label)],
      names.map((n) => [n, ...rows.map((r) => fmt(r.appWalls[n] ?? NaN, 1))]),
    );
    // Each app's CPU (its processes, by working directory), the wrapper's apart: where CPU above another variant goes.
    if (rows.some((r) => r.cpuByApp.size > 0)) {
      const appCpu = (r, n) => [...r.cpuByApp].filter(([k]) => k.split('\t')[0] === n).reduce((a, [, v]) => a + v, 0);
      const wrapCpu = (r, n) => r.cpuByApp.get(`${n}\tjobslot run`) ?? 0;
      table(
        `${machine.label}: each app's CPU s within the make, mean (of it, jobslot run's own)`,
        ['app', ...rows.map((r) => r.variant.label)],
        names.map((n) => [n, ...rows.map((r) => `${fmt(appCpu(r, n), 1)}${wrapCpu(r, n) ? ` (${fmt(wrapCpu(r, n), 2)})` : ''}`)]),
      );
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
}
if (!args.from) console.log(`\nload average after ${load()}`);
