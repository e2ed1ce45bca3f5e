// Benchmark: vite builds with and without @jobslot/vite-plugin under make -j2.
//
//   node bench/vite-plugin.mjs [--runs 3] [--modules 120] [--ms 8] [--jobs 2] [--builds 4] [--vite vite,vite7]
//
// For each vite (8: rolldown, 7: rollup + esbuild) and each machine (this one
// as it is, and a simulated 16-core one), make -jN runs four builds of the test
// app at once (the app and its CPU-heavy transform plugin are the end-to-end
// test fixture), side by side in one run:
//   without: `+node build.mjs --plain`            no plugin, no `jobslot run`
//   with:    `+jobslot run -- node build.mjs`     the plugin, native threads sized by `jobslot run`
// and samples make's process tree from /proc every 10 ms: runnable threads
// (state R, p50/p95/max), resident memory; plus wall time, CPU time (user +
// sys of make and everything under it; steadier than wall time when the
// machine is shared), and for the jobslot
// runs the peak slots from JOBSLOT_TRACE and any token not given back.
//
// The simulated 16-core machine: a --require preload makes os.cpus() and
// os.availableParallelism() report 16 (so the heavy plugin's worker pool and
// vite's own pools size themselves to 16), and GOMAXPROCS=16,
// ROLLDOWN_WORKER_THREADS=24, RAYON_NUM_THREADS=16 are in the environment as
// a 16-core CI box might have them; `jobslot run` lowers them to its slots.
//
// Targets: runnable threads at p95 at or below N with jobslot; wall time within
// 10% of the run without it. Build the packages first (npx turbo run build).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/core/dist/cli.js');
const FIXTURE = join(ROOT, 'test/fixtures/vite-plugin');
const BUILD = join(FIXTURE, 'build.mjs');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    modules: { type: 'string', default: '120' },
    ms: { type: 'string', default: '8' },
    jobs: { type: 'string', default: '2' },
    builds: { type: 'string', default: '4' },
    vite: { type: 'string', default: 'vite,vite7' },
  },
});
const RUNS = Number(values.runs);
const JOBS = Number(values.jobs);
const BUILDS = Number(values.builds);
const VITES = values.vite.split(',');

for (const need of [CLI, join(ROOT, 'packages/vite-plugin/dist/index.js')]) {
  if (!existsSync(need)) throw new Error(`${need} is missing: build first (npx turbo run build)`);
}

// ---- a compact /proc sampler (the test helpers are TypeScript; this is plain node) ----

function stat(path) {
  try {
    const s = readFileSync(path, 'utf8');
    const close = s.lastIndexOf(')');
    return s.slice(close + 2).split(' '); // [0] state, [1] ppid, [21] rss pages
  } catch {
    return undefined;
  }
}

/** Runnable threads and resident KB of the process tree under `root`. */
function sampleTree(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const f = stat(`/proc/${pid}/stat`);
    if (!f) continue;
    const ppid = Number(f[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push({ pid, rssKb: Number(f[21]) * 4 });
  }
  let runnable = 0;
  let rssKb = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    for (const c of children.get(pid) ?? []) {
      rssKb += c.rssKb;
      stack.push(c.pid);
    }
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {}
    for (const tid of tids) if (stat(`/proc/${pid}/task/${tid}/stat`)?.[0] === 'R') runnable++;
  }
  return { runnable, rssKb };
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux
const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- the runs ----

const work = mkdtempSync(join(tmpdir(), 'jobslot-bench-vite-'));
const { writeApp } = await import(pathToFileURL(join(FIXTURE, 'app.mjs')).href);
const app = writeApp(join(work, 'app'), { modules: Number(values.modules) });
const preload = join(work, 'cpus16.cjs');
writeFileSync(
  preload,
  `// Report 16 CPUs, as a 16-core machine would.
const os = require('os');
const real = os.cpus();
os.cpus = () => Array.from({ length: 16 }, (_, i) => real[i % real.length]);
os.availableParallelism = () => 16;
`,
);
const SIM16 = { NODE_OPTIONS: `--require ${preload}`, GOMAXPROCS: '16', ROLLDOWN_WORKER_THREADS: '24', RAYON_NUM_THREADS: '16' };

function makefile(vite, withJobslot, out) {
  const names = Array.from({ length: BUILDS }, (_, i) => `b${i + 1}`);
  const build = `node ${BUILD} --vite ${vite} --root ${app} --out ${out}/$@`;
  return [
    `all: ${names.join(' ')}`,
    `${names.join(' ')}:`,
    `\t+@${withJobslot ? `node ${CLI} run -- ${build}` : `${build} --plain`} > /dev/null`,
    '',
  ].join('\n');
}

function cleanEnv(extra) {
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'JOBSLOT_TRACE', 'JOBSLOT_POOL', 'NODE_OPTIONS', 'GOMAXPROCS', 'ROLLDOWN_WORKER_THREADS', 'RAYON_NUM_THREADS', 'UV_THREADPOOL_SIZE']) delete env[k];
  return { ...env, ...extra };
}

async function once(vite, machine, withJobslot) {
  const dir = mkdtempSync(join(work, 'run-'));
  writeFileSync(join(dir, 'Makefile'), makefile(vite, withJobslot, join(dir, 'out')));
  const trace = join(dir, 'trace.jsonl');
  const env = cleanEnv({ HEAVY_MS: values.ms, ...(machine === '16 (sim.)' ? SIM16 : {}), ...(withJobslot ? { JOBSLOT_TRACE: trace } : {}) });
  const start = performance.now();
  // Through sh, so the CPU time of make and everything it waited for can be
  // read from the shell's own /proc stat (cutime + cstime) before it exits.
  const script = `make -j${JOBS} >/dev/null; s=$?; cat /proc/$$/stat; exit $s`;
  const child = spawn('sh', ['-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const samples = [];
  const timer = setInterval(() => samples.push(sampleTree(child.pid)), 10);
  const code = await new Promise((r) => child.on('close', r));
  const wallMs = performance.now() - start;
  clearInterval(timer);
  if (code !== 0) throw new Error(`make failed (${vite}, ${machine}, ${withJobslot ? 'with' : 'without'}):\n${stderr}`);
  const leak = /INTERNAL: Exiting with \d+ jobserver tokens?/.test(stderr);
  const shStat = stdout.slice(stdout.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(shStat[13]) + Number(shStat[14])) / CLOCK_TICKS; // cutime + cstime
  const runnable = samples.map((s) => s.runnable).sort((a, b) => a - b);
  let slots;
  let unreturned = 0;
  if (withJobslot) {
    const report = analyzeTrace(readTrace(trace), JOBS);
    slots = report.peak;
    unreturned = report.unreturned;
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    wallMs,
    cpuS,
    p50: pct(runnable, 0.5),
    p95: pct(runnable, 0.95),
    max: runnable.at(-1) ?? 0,
    rssMb: Math.max(0, ...samples.map((s) => s.rssKb)) / 1024,
    slots,
    tokensBack: !leak && unreturned === 0,
  };
}

const rows = [];
for (const vite of VITES) {
  for (const machine of ['2 (this)', '16 (sim.)']) {
    const results = { without: [], with: [] };
    // Interleaved, so drift on the machine hits both sides alike.
    for (let i = 0; i < RUNS; i++) {
      for (const side of ['without', 'with']) {
        const r = await once(vite, machine, side === 'with');
        results[side].push(r);
        process.stderr.write(`${vite} ${machine} ${side} #${i + 1}: ${(r.wallMs / 1000).toFixed(2)} s\n`);
      }
    }
    for (const side of ['without', 'with']) {
      const rs = results[side];
      rows.push({
        vite: vite === 'vite' ? '8 (rolldown)' : '7 (rollup)',
        cpus: machine,
        jobslot: side,
        wall: median(rs.map((r) => r.wallMs)),
        cpu: median(rs.map((r) => r.cpuS)),
        p50: median(rs.map((r) => r.p50)),
        p95: median(rs.map((r) => r.p95)),
        max: Math.max(...rs.map((r) => r.max)),
        rss: median(rs.map((r) => r.rssMb)),
        slots: side === 'with' ? Math.max(...rs.map((r) => r.slots)) : undefined,
        back: rs.every((r) => r.tokensBack),
        base: side === 'with' ? median(results.without.map((r) => r.wallMs)) : undefined,
      });
    }
  }
}
rmSync(work, { recursive: true, force: true });

const header = ['vite', 'CPUs', 'jobslot', 'wall (s)', 'vs without', 'CPU (s)', 'runnable p50', 'p95', 'max', 'peak RSS (MB)', 'peak slots', 'tokens back'];
const table = rows.map((r) => [
  r.vite,
  r.cpus,
  r.jobslot,
  (r.wall / 1000).toFixed(2),
  r.base ? `${(((r.wall - r.base) / r.base) * 100).toFixed(0).replace(/^(?!-)/, '+')}%` : '',
  r.cpu.toFixed(2),
  String(r.p50),
  String(r.p95),
  String(r.max),
  r.rss.toFixed(0),
  r.slots === undefined ? '' : String(r.slots),
  r.jobslot === 'with' ? (r.back ? 'yes' : 'NO') : '',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(
  `\nmake -j${JOBS}, ${BUILDS} builds at once, ${values.modules} modules x ${values.ms} ms of transform each; median of ${RUNS} runs (max: the largest)\n`,
);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
console.log(`\ntargets: with jobslot, runnable p95 <= ${JOBS} and wall within +10% of without`);
console.log(`load average now: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (other work on the machine skews wall times)`);
