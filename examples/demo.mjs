// The demo's first step: what jobslot is for. The same COPIES copies of the
// three apps built by one `make -jN apps`, once without jobslot and once with
// it (traced), each sampled from /proc every 20 ms. Prints both side by side,
// draws the build tree's runnable threads and the slots over one time axis
// (side-by-side.svg), and writes the jobslot run's HTML report (report.html).
//   node demo.mjs [--jobs N] [--copies N] [--out DIR]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTrace, readTrace } from '../packages/core/dist/trace.js';
import { startSampler } from '../test/support/procstat.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '../packages/core/dist/cli.cjs');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const jobs = Number(arg('--jobs', 4));
const copies = Number(arg('--copies', 3));
const out = resolve(arg('--out', join(HERE, '.demo')));
mkdirSync(out, { recursive: true });

async function build(withJobslot) {
  const trace = join(out, withJobslot ? 'with.jsonl' : 'without.jsonl');
  const env = { ...process.env, JOBSLOT_TRACE: trace };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL']) delete env[k];
  const started = Date.now();
  const args = ['--no-print-directory', '-s', `-j${jobs}`, 'apps', `COPIES=${copies}`, `JOBSLOT=${withJobslot ? 1 : 0}`];
  const child = spawn('make', args, { cwd: HERE, env, stdio: ['ignore', 'pipe', 'inherit'] });
  // PSS every 5th sample (0.1 s): RSS counts node's shared pages once per node process, so a
  // side with more node processes (jobslot run wrappers) looks larger by RSS than it is.
  const sampler = startSampler(child.pid, { intervalMs: 20, pssEvery: 5 });
  child.stdout.resume();
  const code = await new Promise((resolve) => child.on('close', resolve));
  const stats = sampler.stop();
  if (code !== 0) throw new Error(`make ${args.join(' ')} failed (${code})`);
  return { started, wall: Date.now() - started, stats, samples: sampler.samples, trace };
}

console.log(`   ${copies} copies each of the esbuild, webpack and vite apps: ${3 * copies} builds under make -j${jobs}`);
const without = await build(false);
const withJ = await build(true);
const report = analyzeTrace(readTrace(withJ.trace), jobs);

const row = (label, r, extra) =>
  `   ${label.padEnd(16)} wall ${(r.wall / 1000).toFixed(2).padStart(6)} s   runnable threads p50/p95/max ${`${r.stats.runnable.p50}/${r.stats.runnable.p95}/${r.stats.runnable.max}`.padEnd(9)}  peak RSS ${(r.stats.peakRssKb / 1024).toFixed(0).padStart(5)} MB, PSS ${(r.stats.peakPssKb / 1024).toFixed(0).padStart(5)} MB${extra}`;
console.log(row('without jobslot', without, ''));
console.log(row('with jobslot', withJ, `   slots: peak ${report.peak} of -j${jobs}, ${report.unreturned === 0 ? 'every token back' : `${report.unreturned} NOT RETURNED`}`));

// Side by side: runnable threads of each build's tree over time, and the jobslot run's slots in use.
const W = 1000, L = 60, R = 20, H = 150, GAP = 50;
const span = Math.max(without.wall, withJ.wall);
const yMax = Math.max(jobs * 2, ...without.samples.map((s) => s.runnable), ...withJ.samples.map((s) => s.runnable));
const svg = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + GAP + 70}" font-family="sans-serif" font-size="11">`, '<rect width="100%" height="100%" fill="white"/>'];
svg.push(`<text x="${L}" y="18" font-size="14" font-weight="bold">${3 * copies} builds under make -j${jobs}: runnable threads of the build (from /proc), without and with jobslot</text>`);
const panel = (top, title, r, slots) => {
  const x = (t) => L + (t / span) * (W - L - R);
  const y = (n) => top + H - (Math.min(n, yMax) / yMax) * H;
  svg.push(`<rect x="${L}" y="${top}" width="${W - L - R}" height="${H}" fill="#f6f6f6"/>`);
  svg.push(`<text x="${L}" y="${top - 6}" fill="#333">${title} (${(r.wall / 1000).toFixed(2)} s; runnable p95 ${r.stats.runnable.p95})</text>`);
  if (slots) {
    let d = `M ${x(0)} ${y(0)}`;
    for (const [t, n] of report.timeline) d += ` H ${x(t - r.started).toFixed(1)} V ${y(n).toFixed(1)}`;
    svg.push(`<path d="${d} H ${x(r.wall)} V ${y(0)} Z" fill="#4e79a7" fill-opacity="0.35"/>`);
  }
  svg.push(`<path d="${r.samples.map((s, i) => `${i ? 'L' : 'M'} ${x(s.t - r.started).toFixed(1)} ${y(s.runnable).toFixed(1)}`).join(' ')}" fill="none" stroke="${slots ? '#2b5d8a' : '#e15759'}" stroke-width="1.2"/>`);
  svg.push(`<line x1="${L}" x2="${W - R}" y1="${y(jobs)}" y2="${y(jobs)}" stroke="#e15759" stroke-dasharray="6 4"/><text x="${L - 6}" y="${y(jobs) + 4}" text-anchor="end" fill="#e15759">-j${jobs}</text>`);
  svg.push(`<text x="${L - 6}" y="${top + 8}" text-anchor="end" fill="#777">${yMax}</text><text x="${L - 6}" y="${top + H}" text-anchor="end" fill="#777">0</text>`);
  for (let s = 0; s <= span / 1000; s += Math.max(1, Math.round(span / 10000))) svg.push(`<text x="${x(s * 1000)}" y="${top + H + 13}" text-anchor="middle" fill="#777">${s} s</text>`);
};
panel(45, 'without jobslot: runnable threads', without, false);
panel(45 + H + GAP, 'with jobslot: runnable threads (line) and slots in use (blue)', withJ, true);
svg.push('</svg>');
writeFileSync(join(out, 'side-by-side.svg'), svg.join('\n'));

const html = join(out, 'report.html');
const r = spawnSync('node', [CLI, 'report', '--jobs', String(jobs), '--html', html, '--svg', join(out, 'report.svg'), withJ.trace], { encoding: 'utf8' });
process.stdout.write(r.stdout.replace(/^/gm, '   '));
console.log(`   side by side: ${join(out, 'side-by-side.svg')}; the jobslot run's report: ${html}`);
