// The core client's benchmark: jobslot against the naive ways to take a token
// in Node, side by side in one run. Prints tables; asserts nothing.
//   node bench/core.mjs [--quick]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@jobslot/core';
import { createJobserver } from '@jobslot/core/server';
import * as naive from './lib/naive.mjs';
import { table } from './lib/table.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const quick = process.argv.includes('--quick');

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);

// 1. Uncontended tryAcquire + release, in this process, against a fifo jobserver.
function uncontended() {
  const server = createJobserver({ jobs: 2, style: 'fifo' });
  const rows = [];
  const time = (name, n, op) => {
    for (let i = 0; i < Math.min(n, 1000); i++) op(); // warm up
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) op();
    rows.push([name, fmt(Number(process.hrtime.bigint() - start) / 1e3 / n), n]);
  };
  const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags } });
  time('jobslot tryAcquire + release', quick ? 50_000 : 200_000, () => client.tryAcquire().release());
  client.close();
  const js = naive.openJobserver(server.makeflags);
  const buf = Buffer.alloc(1);
  time('fs.readSync + writeSync (non-blocking, the JS floor)', quick ? 50_000 : 200_000, () => {
    naive.fsTry(js, buf);
    naive.fsGive(js, buf);
  });
  time('koffi read + write', quick ? 50_000 : 200_000, () => {
    naive.koffiTry(js, buf);
    naive.koffiGive(js, buf);
  });
  time("spawnSync('dd') + write", quick ? 50 : 300, () => {
    buf[0] = naive.ddTry(js);
    naive.koffiGive(js, buf);
  });
  server.close();
  table('Uncontended take + give back (per op)', ['method', 'per op', 'ops'], rows);
}

function collect(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

// 2. Wake-up latency: two recipes ping-pong the one free token of make -j3.
async function handoffs(make, mode, rounds) {
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-bench-'));
  const cmd = `+@node ${join(HERE, 'handoff.mjs')} ${mode} ${rounds}`;
  writeFileSync(join(dir, 'Makefile'), `all: a b\na:\n\t${cmd}\nb:\n\t${cmd}\n`);
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL']) delete env[k];
  const out = await collect(spawn(make, ['-j3'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  if (/INTERNAL/.test(out)) throw new Error('make reported lost tokens');
  const sides = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  // Every release is followed by the other side's acquire: pair them in time order.
  const events = sides.flatMap((s) => [
    ...s.released.map((t) => ({ t, kind: 'r', pid: s.pid })),
    ...s.acquired.map((t) => ({ t, kind: 'a', pid: s.pid })),
  ]);
  events.sort((x, y) => x.t - y.t);
  const lat = [];
  for (let i = 0; i + 1 < events.length; i++) {
    const e = events[i];
    const next = events[i + 1];
    if (e.kind === 'r' && next.kind === 'a' && next.pid !== e.pid) lat.push(next.t - e.t);
  }
  lat.sort((x, y) => x - y);
  return { n: lat.length, p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

// 3. Lost tokens: four processes fight over one token of a jobslot server.
async function contended(mode, perProcess) {
  const server = createJobserver({ jobs: 2, style: 'fifo' });
  const procs = Array.from({ length: 4 }, () =>
    collect(spawn('node', [join(HERE, 'contend.mjs'), mode, String(perProcess)], { env: server.env(process.env), stdio: ['ignore', 'pipe', 'pipe'] })),
  );
  const start = performance.now();
  await Promise.all(procs);
  const ms = performance.now() - start;
  const { lost } = server.close();
  return { handoffs: perProcess * 4, lost, ms };
}

// 4. RSS: a bare node, node with jobslot and no jobserver, node holding a token.
function rss() {
  const measure = (code, env) => {
    const r = spawnSync('node', ['--input-type=module', '-e', `${code}; console.log(process.resourceUsage().maxRSS)`], { cwd: HERE, env, encoding: 'utf8' });
    return Number(r.stdout.trim().split('\n').at(-1));
  };
  const env = { ...process.env };
  delete env.MAKEFLAGS;
  const server = createJobserver({ jobs: 3, style: 'fifo' });
  // The median of 11: RSS moves by a megabyte from run to run.
  const runs = (code, e) => Array.from({ length: 11 }, () => measure(code, e)).sort((a, b) => a - b)[5];
  // The same dynamic import of a (empty) file module, so the ESM loader's own cost is in both.
  const bare = runs(`await import(${JSON.stringify(join(HERE, 'lib/empty.mjs'))})`, env);
  const noServer = runs("const { JobClient } = await import('@jobslot/core'); JobClient.fromEnv()", env);
  const withServer = runs("const { JobClient } = await import('@jobslot/core'); const c = JobClient.fromEnv(); const t = await c.acquire(); t.release()", server.env(env));
  server.close();
  table('Peak RSS (median of 11)', ['process', 'max RSS', 'over bare node'], [
    ['node importing an empty module', `${(bare / 1024).toFixed(1)} MB`, ''],
    ['jobslot, no jobserver', `${(noServer / 1024).toFixed(1)} MB`, `+${((noServer - bare) / 1024).toFixed(1)} MB`],
    ['jobslot, acquire + release', `${(withServer / 1024).toFixed(1)} MB`, `+${((withServer - bare) / 1024).toFixed(1)} MB`],
  ]);
}

uncontended();

const makes = [['make 4.3 (pipe)', 'make']];
const make44 = process.env.JOBSLOT_MAKE44 ?? join(ROOT, '.tools/make-4.4.1/bin/make');
if (existsSync(make44)) makes.push(['make 4.4.1 (fifo)', make44]);
else console.log(`\n(make 4.4.1 not built: ${make44}; run scripts/build-make44.sh)`);
const rounds = quick ? 60 : 300;
const modes = [
  ['jobslot acquire() (SIGIO)', 'jobslot', rounds],
  ['jobslot acquire() (poll mode)', 'jobslot-poll', rounds],
  ['koffi .async poll per wait', 'koffi-async', rounds],
  ['5 ms timer retry', 'timer', rounds],
  ["spawnSync('dd') per try", 'dd', Math.min(rounds, 100)],
];
const rows = [];
for (const [makeName, bin] of makes) {
  for (const [name, mode, n] of modes) {
    const r = await handoffs(bin, mode, n);
    rows.push([makeName, name, r.n, fmt(r.p50), fmt(r.p99)]);
  }
}
table('Wake-up latency: a token written back until the other process\'s wait returns', ['make', 'method', 'handoffs', 'p50', 'p99'], rows);

const lostRows = [];
const ours = await contended('jobslot', quick ? 500 : 2500);
lostRows.push(['jobslot acquire() + release', ours.handoffs, ours.lost, `${(ours.ms / ours.handoffs).toFixed(3)} ms`]);
const dd = await contended('dd', quick ? 50 : 250);
lostRows.push(["spawnSync('dd') + write", dd.handoffs, dd.lost, `${(dd.ms / dd.handoffs).toFixed(3)} ms`]);
table('Contended handoffs: 4 processes, 1 token', ['method', 'handoffs', 'tokens lost', 'wall per handoff'], lostRows);

rss();
