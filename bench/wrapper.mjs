// What `jobslot run` costs per wrapped command: its own peak RSS (VmHWM, read
// by the command from /proc/<its parent>/status just before it ends), its CPU
// time, and the same for a bare `node -e ''` for scale. Median of RUNS.
//   node bench/wrapper.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/core/dist/cli.js');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const env = { ...process.env };
for (const k of ['MAKEFLAGS', 'MFLAGS', 'CARGO_MAKEFLAGS', 'MAKELEVEL', 'JOBSLOT_POOL', 'JOBSLOT_TRACE', 'NODE_OPTIONS']) delete env[k];

// The command reports its parent's peak RSS and CPU ticks (utime + stime) as it ends.
const probe = `sleep 0.3; awk '/VmHWM/ {print $2}' /proc/$PPID/status; awk '{print $14 + $15}' /proc/$PPID/stat`;
const ticksPerSec = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

function measure(args) {
  const rss = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(args[0], [...args.slice(1)], { env, encoding: 'utf8' });
    const [kb, ticks] = r.stdout.trim().split('\n').slice(-2).map(Number);
    rss.push(kb / 1024);
    cpu.push((ticks / ticksPerSec) * 1000);
  }
  return { rss: median(rss), cpu: median(cpu) };
}

// Inside a jobserver of 4 (the usual case: a recipe under make -j4), and alone.
const inside = measure(['node', CLI, '-j', '4', '--', 'node', CLI, 'run', '--', 'sh', '-c', probe]);
const alone = measure(['node', CLI, 'run', '--max', '2', '--', 'sh', '-c', probe]);
const bare = measure(['node', '-e', `require('child_process').spawnSync('sh', ['-c', ${JSON.stringify(probe.replaceAll('$PPID', '$PPID'))}], { stdio: 'inherit' })`]);

console.log(`jobslot run, per wrapped command (median of ${runs})\n`);
console.log('| what | peak RSS | CPU time |');
console.log('| --- | --- | --- |');
console.log(`| \`jobslot run\` inside a jobserver of 4 | ${inside.rss.toFixed(1)} MB | ${inside.cpu.toFixed(0)} ms |`);
console.log(`| \`jobslot run\` without one (serves its own) | ${alone.rss.toFixed(1)} MB | ${alone.cpu.toFixed(0)} ms |`);
console.log(`| a bare node process starting the same command | ${bare.rss.toFixed(1)} MB | ${bare.cpu.toFixed(0)} ms |`);
