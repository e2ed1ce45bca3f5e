// What `jobslot run` costs while its command runs (issue 24, items 3 and 4):
// its wakes per second and its CPU, while a command that reads no jobserver
// sleeps beneath it under make -j2 (the sub-pool holds make's other token,
// untouched: the steady case of tsc, rollup or rspack without the plugin).
// Counted by the kernel, not by jobslot: voluntary context switches of every
// thread of the process (/proc/PID/task/*/status) and its CPU time
// (/proc/PID/schedstat, ns), over a window that starts once the command says
// it runs and the sub-pool's first second (its start-up) is past. Untraced and
// traced (JOBSLOT_TRACE), each build given, interleaved. Asserts nothing.
//   node bench/run-idle.mjs [--runs N] [--seconds S] [--make 4.3|4.4.1]
//        [--cli new=packages/core/dist/cli.cjs,old=/path/to/old/dist/cli.cjs]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('--runs', 3));
const seconds = Number(arg('--seconds', 3));
const make = arg('--make', '4.3') === '4.4.1' ? join(ROOT, '.tools/make-4.4.1/bin/make') : 'make';
const clis = arg('--cli', `jobslot=${join(ROOT, 'packages/core/dist/cli.cjs')}`)
  .split(',')
  .map((pair) => [pair.slice(0, pair.indexOf('=')), resolvePath(pair.slice(pair.indexOf('=') + 1))]);

const wakes = (pid) =>
  readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
    try {
      return sum + Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))[1]);
    } catch {
      return sum; // the thread ended meanwhile
    }
  }, 0);
const cpuNs = (pid) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);

async function once(cli, traced) {
  const dir = mkdtempSync(join(tmpdir(), 'run-idle-'));
  const started = join(dir, 'started');
  const done = join(dir, 'done');
  const command = `echo $$PPID > ${started}; while [ ! -f ${done} ]; do sleep 0.05; done`;
  writeFileSync(join(dir, 'Makefile'), `all:\n\t+@node ${cli} run -- sh -c '${command}'\n`);
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'CARGO_MAKEFLAGS', 'MAKELEVEL', 'JOBSLOT_POOL', 'JOBSLOT_TRACE', 'JOBSLOT_TRACE_UNDER', 'NODE_OPTIONS']) delete env[k];
  if (traced) env.JOBSLOT_TRACE = join(dir, 'trace.jsonl');
  const child = spawn(make, ['-s', '-j2', '-C', dir], { env, stdio: 'inherit' });
  const ended = new Promise((resolve) => child.on('exit', resolve));
  try {
    while (!existsSync(started) || readFileSync(started, 'utf8').trim() === '') await delay(20);
    const pid = Number(readFileSync(started, 'utf8'));
    await delay(1200);
    const [w0, c0, t0] = [wakes(pid), cpuNs(pid), performance.now()];
    await delay(seconds * 1000);
    const [w1, c1, t1] = [wakes(pid), cpuNs(pid), performance.now()];
    return { wakes: ((w1 - w0) * 1000) / (t1 - t0), cpu: (c1 - c0) / 1e6 / ((t1 - t0) / 1000) };
  } finally {
    writeFileSync(done, '');
    await ended;
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = new Map();
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
for (let round = 0; round < runs; round++) {
  for (const [name, cli] of round % 2 ? [...clis].reverse() : clis) {
    for (const traced of [false, true]) {
      const key = `${name}${traced ? ' (traced)' : ''}`;
      if (!rows.has(key)) rows.set(key, []);
      rows.get(key).push(await once(cli, traced));
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`make ${arg('--make', '4.3')} -j2, \`jobslot run -- sh -c '... sleep'\`, ${seconds} s windows, ${runs} rounds interleaved (load before: ${load}, after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
console.log('| build | wakes/s (all threads) median | CPU ms/s median |');
console.log('| --- | --- | --- |');
for (const [key, xs] of rows) console.log(`| ${key} | ${median(xs.map((x) => x.wakes)).toFixed(1)} | ${median(xs.map((x) => x.cpu)).toFixed(2)} |`);
