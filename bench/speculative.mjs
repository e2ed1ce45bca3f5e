#!/usr/bin/env node
// What `jobslot run` costs the other jobs of a build: tokens its sub-pool
// holds that its command does not use (taken at start, or won by its one
// speculative outer acquire while the sub-pool is empty), while make's own
// jobs wait for them.
//
// One make -j4 runs two recipes at once:
//   tool   a JS tool on @jobslot/core's limiter: 3 s of one task at a time
//          (50 ms sleeps), a burst of 8 tasks of 300 ms, 3 s of one at a time
//   jobs   a sub-make of 60 jobs of `sleep 0.1`, as C compiles would be
// in two variants: the tool run directly (its own client), and the tool under
// `jobslot run`. Sleeps, not CPU, so that the figures measure tokens, not this
// machine's two cores. Every task and job logs its start and end; from those
// logs alone: the sub-make's wall time, and the slot-seconds left idle (fewer
// than 4 running) while some of its jobs had not started yet.
//   node bench/speculative.mjs [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/core/dist/cli.js');
const CORE = join(ROOT, 'packages/core/dist/index.js');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const JOBS = 4;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const env = { ...process.env };
for (const k of ['MAKEFLAGS', 'MFLAGS', 'CARGO_MAKEFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'JOBSLOT_POOL', 'JOBSLOT_TRACE', 'NODE_OPTIONS']) delete env[k];

const TOOL = `
import { appendFileSync } from 'node:fs';
import { createLimiter, JobClient } from ${JSON.stringify(CORE)};
const log = process.argv[2];
const limiter = createLimiter(JobClient.fromEnv());
const now = () => performance.timeOrigin + performance.now();
const task = (ms) => limiter.run(async () => {
  const start = now();
  await new Promise((r) => setTimeout(r, ms));
  appendFileSync(log, \`tool \${start} \${now()}\\n\`);
});
const steady = async (ms) => { const end = now() + ms; while (now() < end) await task(50); };
await steady(3000);
await Promise.all(Array.from({ length: 8 }, () => task(300)));
await steady(3000);
`;

function round(dir, wrapped) {
  const log = join(dir, `log-${wrapped ? 'run' : 'direct'}`);
  rmSync(log, { force: true });
  const cmk = `N := $(shell seq 1 60)\nall: $(addprefix j,$(N))\nj%:\n\t@s=$$(date +%s%N); sleep 0.1; echo "job $$(($$s/1000)) $$(($$(date +%s%N)/1000))" >> ${log}\n`;
  writeFileSync(join(dir, 'c.mk'), cmk);
  const wrap = wrapped ? `node ${CLI} run -- ` : '';
  writeFileSync(join(dir, 'Makefile'), `all: tool jobs\ntool:\n\t+@${wrap}node tool.mjs ${log}\njobs:\n\t+@$(MAKE) -s -f c.mk\n.PHONY: all tool jobs\n`);
  const r = spawnSync('make', [`-j${JOBS}`, '-s'], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0 || /INTERNAL|not returned/.test(r.stderr)) throw new Error(`make failed: ${r.stderr}`);
  // job lines are in microseconds, tool lines in milliseconds
  const spans = readFileSync(log, 'utf8').trim().split('\n').map((l) => {
    const [kind, a, b] = l.split(' ');
    const scale = kind === 'job' ? 1000 : 1;
    return { kind, start: Number(a) / scale, end: Number(b) / scale };
  });
  const jobs = spans.filter((s) => s.kind === 'job');
  const t0 = Math.min(...spans.map((s) => s.start));
  const lastJobStart = Math.max(...jobs.map((s) => s.start));
  // Idle slot-seconds while jobs were queued: before the last job started, 4 minus what ran.
  let idle = 0;
  const step = 5;
  for (let t = t0; t < lastJobStart; t += step) {
    const running = spans.filter((s) => s.start <= t && s.end > t).length;
    idle += Math.max(0, JOBS - running) * step;
  }
  return { jobsWall: (Math.max(...jobs.map((s) => s.end)) - t0) / 1000, idle: idle / 1000 };
}

const dir = mkdtempSync(join(tmpdir(), 'jobslot-speculative-'));
writeFileSync(join(dir, 'tool.mjs'), TOOL);
const results = { direct: [], run: [] };
for (let i = 0; i < runs; i++) {
  results.direct.push(round(dir, false));
  results.run.push(round(dir, true));
}
rmSync(dir, { recursive: true, force: true });
console.log(`jobslot run's idle tokens: make -j${JOBS}, a JS tool (mostly one task, one burst of 8) beside 60 make jobs of 0.1 s (median of ${runs})\n`);
console.log('| the tool | 60 jobs done after | idle slot-seconds while jobs waited |');
console.log('| --- | --- | --- |');
for (const [key, label] of [['direct', 'run directly (its own client)'], ['run', 'under `jobslot run`']]) {
  console.log(`| ${label} | ${median(results[key].map((r) => r.jobsWall)).toFixed(2)} s | ${median(results[key].map((r) => r.idle)).toFixed(2)} |`);
}
