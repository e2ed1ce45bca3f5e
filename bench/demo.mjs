// The whole demo with and without jobslot, side by side in one run: the three
// example apps built by one `make -j2` (make 4.3), sampling the process tree
// from /proc every 10 ms. Also as on a 16-core machine: a preload makes
// os.cpus()/availableParallelism() say 16, and the thread variables say 16/24/16
// (jobslot lowers them to the slots it holds).
//   node bench/demo.mjs [--runs N] [--jobs N]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { startSampler } from '../test/support/procstat.mjs';
import { table } from './lib/table.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXAMPLES = join(HERE, '../examples');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('--runs', 2);
const jobs = arg('--jobs', 2);

const SIXTEEN = {
  NODE_OPTIONS: `--require ${join(HERE, '../test/support/cpus16.cjs')}`,
  GOMAXPROCS: '16',
  ROLLDOWN_WORKER_THREADS: '24',
  RAYON_NUM_THREADS: '16',
};

async function once(withJobslot, extraEnv) {
  const trace = join(mkdtempSync(join(tmpdir(), 'jobslot-demo-')), 'trace.jsonl');
  const env = { ...process.env, ...extraEnv, JOBSLOT_TRACE: trace };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL']) delete env[k];
  const start = performance.now();
  const child = spawn('make', ['--no-print-directory', `-j${jobs}`, 'all', `JOBSLOT=${withJobslot ? 1 : 0}`], { cwd: EXAMPLES, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const sampler = startSampler(child.pid, { intervalMs: 10 });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.resume();
  const code = await new Promise((resolve) => child.on('close', resolve));
  const summary = sampler.stop();
  if (code !== 0) throw new Error(`make failed: ${err}`);
  let peak = '';
  if (withJobslot) {
    const report = analyzeTrace(readTrace(trace), jobs);
    peak = `${report.peak} (${report.unreturned} unreturned)`;
  }
  return { wall: performance.now() - start, ...summary, peak };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = [];
for (const [machine, extraEnv] of [['2 cores (this machine)', {}], ['as on 16 cores', SIXTEEN]]) {
  const results = { without: [], with: [] };
  // Alternate, so drift in the machine's load hits both alike.
  for (let i = 0; i < runs; i++) {
    results.without.push(await once(false, extraEnv));
    results.with.push(await once(true, extraEnv));
  }
  const sum = (rs) => ({
    wall: median(rs.map((r) => r.wall)),
    p50: median(rs.map((r) => r.runnable.p50)),
    p95: median(rs.map((r) => r.runnable.p95)),
    max: median(rs.map((r) => r.runnable.max)),
    rss: median(rs.map((r) => r.peakRssKb)),
    peak: rs.map((r) => r.peak).join(', '),
  });
  const a = sum(results.without);
  const b = sum(results.with);
  rows.push([machine, 'without jobslot', `${a.p50} / ${a.p95} / ${a.max}`, `${(a.rss / 1024).toFixed(0)} MB`, `${(a.wall / 1000).toFixed(2)} s`, '']);
  rows.push([machine, 'with jobslot', `${b.p50} / ${b.p95} / ${b.max}`, `${(b.rss / 1024).toFixed(0)} MB`, `${(b.wall / 1000).toFixed(2)} s`, b.peak]);
  rows.push([machine, 'ratio with/without', `p95 ×${(b.p95 / a.p95).toFixed(2)}`, `×${(b.rss / a.rss).toFixed(2)}`, `×${(b.wall / a.wall).toFixed(2)}`, '']);
}
table(`The demo (3 apps) under make -j${jobs}, median of ${runs} runs each`, ['machine', 'build', 'runnable threads p50/p95/max', 'peak RSS (tree)', 'wall', 'trace peak slots'], rows);
