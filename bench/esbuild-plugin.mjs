#!/usr/bin/env node
// Benchmark: six node scripts under `make -jN`, each running four esbuild
// builds at once, with and without @jobslot/esbuild-plugin.
//
//   node bench/esbuild-plugin.mjs [--runs 3] [--jobs 2,4] [--modules 200]
//
// For each make (4.3 pipe style; 4.4.1 fifo style when built) and -jN it
// prints: median wall time; runnable threads across the make process tree
// (p50/p95/max, sampled from /proc every 10 ms); the most Go threads esbuild
// services were allowed at once (sum of live services' GOMAXPROCS, read from
// /proc/<pid>/environ; unset counts as every CPU, as Go does); peak RSS of
// the tree; and, with the plugin, the trace's peak slots and unreturned tokens.
// Needs `npx turbo run build` first.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeTrace, readTrace } from '@jobslot/core';
import { generateSources } from '../test/fixtures/esbuild-plugin/gen-src.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'test/fixtures/esbuild-plugin/build.mjs');
if (!existsSync(join(ROOT, 'packages/esbuild-plugin/dist/index.js'))) {
  console.error('packages/esbuild-plugin/dist missing: run `npx turbo run build` first');
  process.exit(1);
}

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '2,4' },
    modules: { type: 'string', default: '200' },
    scripts: { type: 'string', default: '6' },
    builds: { type: 'string', default: '4' },
  },
});
const RUNS = Number(args.runs);
const JOBS = args.jobs.split(',').map(Number);
const SCRIPTS = Number(args.scripts);
const BUILDS = Number(args.builds);

// ---- /proc sampling (a compact copy of test/support/procstat.ts, which is TypeScript) ----

function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(fields[1]), rssKb: Number(fields[21]) * 4 };
  } catch {
    return undefined;
  }
}

function tree(root) {
  const all = [];
  for (const name of readdirSync('/proc')) if (/^\d+$/.test(name)) all.push(readStat(Number(name)));
  const children = new Map();
  for (const p of all) if (p) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)).push(p);
  const out = [];
  const stack = all.filter((p) => p?.pid === root);
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

function runnable(pid) {
  let n = 0;
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      if (stat[stat.lastIndexOf(')') + 2] === 'R') n++;
    } catch {
      // thread gone
    }
  }
  return n;
}

/** GOMAXPROCS of an esbuild service, read once; unset means Go uses every CPU. */
const gomaxprocsCache = new Map();
function gomaxprocs(pid) {
  if (!gomaxprocsCache.has(pid)) {
    try {
      const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .find((e) => e.startsWith('GOMAXPROCS='));
      gomaxprocsCache.set(pid, entry ? Number(entry.slice(11)) : availableParallelism());
    } catch {
      return undefined;
    }
  }
  return gomaxprocsCache.get(pid);
}

function sampler(root) {
  const samples = [];
  const timer = setInterval(() => {
    let r = 0;
    let rss = 0;
    let goThreads = 0;
    for (const p of tree(root)) {
      r += runnable(p.pid);
      rss += p.rssKb;
      if (p.comm === 'esbuild') goThreads += gomaxprocs(p.pid) ?? 0;
    }
    samples.push({ r, rss, goThreads });
  }, 10);
  return () => {
    clearInterval(timer);
    return samples;
  };
}

const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- the runs ----

function makes() {
  const found = [];
  const version = (bin) => {
    try {
      return /GNU Make (\S+)/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1];
    } catch {
      return undefined;
    }
  };
  const sys = version('make');
  if (sys) found.push({ name: `make ${sys}`, bin: 'make' });
  const m44 = process.env.JOBSLOT_MAKE44 ?? join(ROOT, '.tools/make-4.4.1/bin/make');
  const v44 = existsSync(m44) && version(m44);
  if (v44 && v44 !== sys) found.push({ name: `make ${v44}`, bin: m44 });
  return found;
}

function env(extra) {
  const e = { ...process.env, ...extra };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'JOBSLOT_TRACE', 'JOBSLOT_GRANT', 'GOMAXPROCS']) delete e[k];
  return { ...e, ...extra };
}

async function once(make, jobs, plugin, src) {
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-bench-esbuild-'));
  const tracePath = join(dir, 'trace.jsonl');
  const names = Array.from({ length: SCRIPTS }, (_, i) => `s${i}`);
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(
    join(dir, 'Makefile'),
    [
      `all: ${names.join(' ')}`,
      `${names.join(' ')}:`,
      `\t+@node ${q(SCRIPT)} --src ${q(src)} --out ${q(dir)}/$@ --builds ${BUILDS}${plugin ? '' : ' --no-plugin'}`,
      '',
    ].join('\n'),
  );
  const started = performance.now();
  const child = spawn(make.bin, [`-j${jobs}`], { cwd: dir, env: env(plugin ? { JOBSLOT_TRACE: tracePath } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = sampler(child.pid);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - started;
  const samples = stop();
  if (code !== 0) throw new Error(`${make.name} -j${jobs} failed (${code}):\n${output}`);
  const leak = /INTERNAL: Exiting with \d+ jobserver tokens?/.test(output);
  const trace = plugin && existsSync(tracePath) ? analyzeTrace(readTrace(tracePath), jobs) : undefined;
  rmSync(dir, { recursive: true, force: true });
  const r = samples.map((s) => s.r).sort((a, b) => a - b);
  return {
    wallMs,
    r50: pct(r, 0.5),
    r95: pct(r, 0.95),
    rmax: r.at(-1) ?? 0,
    goMax: Math.max(0, ...samples.map((s) => s.goThreads)),
    rssMb: Math.max(0, ...samples.map((s) => s.rss)) / 1024,
    peak: trace?.peak,
    unreturned: trace?.unreturned,
    leak,
  };
}

const src = mkdtempSync(join(tmpdir(), 'jobslot-bench-src-'));
generateSources(src, { entries: 3, modules: Number(args.modules) });

const loadBefore = loadavg()[0];
const rows = [];
for (const make of makes()) {
  for (const jobs of JOBS) {
    for (const plugin of [false, true]) {
      const results = [];
      // one warm-up run: the page cache and esbuild's binary
      await once(make, jobs, plugin, src);
      for (let i = 0; i < RUNS; i++) results.push(await once(make, jobs, plugin, src));
      const pick = (k) => median(results.map((x) => x[k]));
      rows.push({
        make: make.name,
        jobs: `-j${jobs}`,
        plugin: plugin ? 'jobslot' : 'none',
        'wall ms (median)': pick('wallMs').toFixed(0),
        'runnable p50/p95/max': `${pick('r50')}/${pick('r95')}/${Math.max(...results.map((x) => x.rmax))}`,
        'Go threads allowed (max)': String(Math.max(...results.map((x) => x.goMax))),
        'peak RSS MB': pick('rssMb').toFixed(0),
        'trace peak slots': plugin ? `${Math.max(...results.map((x) => x.peak))} of ${jobs}` : '-',
        'tokens unreturned': plugin ? String(Math.max(...results.map((x) => x.unreturned))) : '-',
        'make leak line': results.some((x) => x.leak) ? 'YES' : 'no',
      });
    }
  }
}
rmSync(src, { recursive: true, force: true });

console.log(
  `esbuild-plugin benchmark: ${SCRIPTS} scripts x ${BUILDS} builds (3 entries x ${args.modules} TS modules, bundle+minify+sourcemap), ` +
    `${RUNS} runs after 1 warm-up, ${availableParallelism()} CPUs, node ${process.version}, ` +
    `load average ${loadBefore.toFixed(1)} before / ${loadavg()[0].toFixed(1)} after (other work on the machine skews wall times)\n`,
);
const headers = Object.keys(rows[0]);
const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(headers));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(headers.map((h) => r[h])));
