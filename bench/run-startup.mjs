// What `jobslot run` adds to every command it wraps (issue 24, "no tax"): the
// wall time of `jobslot run -- CMD` in a recipe under make -j2 (the token it
// takes and gives back included), beside CMD alone, `node -e 0` and `jobslot
// --version` for scale. The variants run interleaved, one of each per round,
// timed by bash's EPOCHREALTIME in the recipe (no process of ours around
// them); min and median of RUNS rounds, and the median's excess over CMD
// alone (the tax). Asserts nothing.
//   node bench/run-startup.mjs [--runs N] [--make 4.3|4.4.1] [--cmd true]
//        [--cli A=path/to/cli.cjs,B=old/dist/cli.js,C=JOBSLOT_TRACE=/tmp/t.jsonl+path/to/cli.cjs]
// --cmd 'node x.js' (a script file) measures a node command, which `jobslot
// run` runs in its own process. --cli compares builds in the same rounds;
// NAME=VAR=VALUE+path runs that build with VAR set. A build copied aside
// needs what dist/ needs beside it: the package.json (--version reads it) and
// a node_modules with koffi and commander, e.g.
//   mkdir /tmp/old && cp -r packages/core/dist packages/core/package.json /tmp/old/ &&
//   ln -s "$PWD/packages/core/node_modules" /tmp/old/node_modules
// CPU (user + sys, the command's included) moves less with other load on the
// machine than wall time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('--runs', 20));
const makeVersion = arg('--make', '4.3');
const cmd = arg('--cmd', 'true');
const clis = Object.fromEntries(
  arg('--cli', `jobslot=${join(ROOT, 'packages/core/dist/cli.cjs')}`)
    .split(',')
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])
    // NAME=VAR=VALUE+path: that build with VAR set (JOBSLOT_TRACE=/tmp/t.jsonl, say)
    .map(([name, cli]) => [name, cli.includes('+') ? `${cli.slice(0, cli.indexOf('+'))} node ${resolvePath(cli.slice(cli.indexOf('+') + 1))}` : `node ${resolvePath(cli)}`]),
);
const make = makeVersion === '4.4.1' ? join(ROOT, '.tools/make-4.4.1/bin/make') : 'make';

const variants = [['node -e 0', 'node -e 0']];
if (cmd !== 'true') variants.push([cmd, cmd]);
// Each build must start where it is (a copy without its package.json or koffi fails every round).
const quiet = { ...process.env };
for (const k of ['MAKEFLAGS', 'MFLAGS', 'CARGO_MAKEFLAGS', 'MAKELEVEL', 'JOBSLOT_POOL', 'JOBSLOT_TRACE']) delete quiet[k];
for (const [name, cli] of Object.entries(clis)) {
  for (const args of ['--version', 'run -- true']) {
    const check = spawnSync('bash', ['-c', `${cli} ${args}`], { encoding: 'utf8', env: quiet });
    const said = check.stderr.split('\n').find((line) => /^\w*Error: |error:/.test(line)) ?? check.stderr.trim().split('\n')[0];
    if (check.status !== 0) throw new Error(`${name}: \`${cli} ${args}\` failed (a copied dist/ needs its package.json and a node_modules with koffi and commander beside it: see this file's header): ${said}`);
  }
}
for (const [name, cli] of Object.entries(clis)) {
  variants.push([`${name} --version`, `${cli} --version >/dev/null`]);
  variants.push([`${name} run -- ${cmd}`, `${cli} run -- ${cmd}`]);
}

const dir = mkdtempSync(join(tmpdir(), 'run-startup-'));
const out = join(dir, 'times');
// One recipe runs every round (so the jobserver's other token is free, as for a build alone under make -j2).
const loop = [
  'set -e',
  'TIMEFORMAT="%3U %3S"',
  `for round in $(seq ${runs}); do`,
  `  for i in $(seq 0 ${variants.length - 1}); do`,
  `    k=$(( (i + round) % ${variants.length} ))`,
  '    case $k in',
  ...variants.map(([name, line], k) => `      ${k}) s=$EPOCHREALTIME; { time ${line} ; } 2> ${out}.cpu; e=$EPOCHREALTIME; echo "${k} $s $e $(tail -1 ${out}.cpu)" >> ${out} ;;`),
  '    esac',
  '  done',
  'done',
].join('\n');
writeFileSync(join(dir, 'loop.sh'), loop + '\n');
writeFileSync(join(dir, 'Makefile'), `all:\n\t+@bash ${join(dir, 'loop.sh')}\n`);
const env = { ...process.env };
for (const k of ['MAKEFLAGS', 'MFLAGS', 'CARGO_MAKEFLAGS', 'MAKELEVEL', 'JOBSLOT_POOL', 'JOBSLOT_TRACE', 'JOBSLOT_TRACE_UNDER', 'NODE_OPTIONS']) delete env[k];
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const r = spawnSync(make, ['-s', '-j2', '-C', dir], { env, stdio: ['ignore', 'inherit', 'inherit'] });
if (r.status !== 0) throw new Error(`make exited ${r.status}`);

const times = variants.map(() => []);
const cpu = variants.map(() => []);
for (const line of readFileSync(out, 'utf8').trim().split('\n')) {
  const [k, s, e, user, sys] = line.split(' ');
  times[Number(k)].push((Number(e) - Number(s)) * 1000);
  cpu[Number(k)].push((Number(user) + Number(sys)) * 1000);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`make ${makeVersion} -j2, one recipe, ${runs} rounds interleaved (load before: ${load}, after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
// The tax: a run's median over CMD's own (over `node -e 0` where CMD is `true`).
const plain = variants.findIndex(([name]) => name === cmd);
const base = plain >= 0 ? plain : 0;
const tax = (k, xs) => (variants[k][0].includes(' run -- ') ? `${(median(xs[k]) - median(xs[base])).toFixed(1)} ms` : '');
console.log(`| command | wall min | wall median | CPU (user + sys) min | CPU median | wall, CPU over \`${variants[base][0]}\` |`);
console.log('| --- | --- | --- | --- | --- | --- |');
variants.forEach(([name], k) =>
  console.log(
    `| \`${name}\` | ${Math.min(...times[k]).toFixed(1)} ms | ${median(times[k]).toFixed(1)} ms | ${Math.min(...cpu[k]).toFixed(0)} ms | ${median(cpu[k]).toFixed(0)} ms | ${tax(k, times)}${tax(k, times) && ', '}${tax(k, cpu)} |`,
  ),
);

rmSync(dir, { recursive: true, force: true });
