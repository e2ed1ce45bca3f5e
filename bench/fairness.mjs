// Fairness: who gets the tokens of one contended jobserver. Four sides start
// at once under one `make -jN` (pipe style, so gcc 12 reads it too), each
// wanting more than its share:
//   jobslot  a jobslot client (a limiter) keeping UNITS units of MS ms queued;
//            it waits with a non-blocking read woken by SIGURG
//   make     a sub-make of many recipes of MS ms (make's own blocking reads)
//   cargo    builds of a path-only workspace of 16 crates whose build
//            scripts sleep MS ms, one after another in fresh target
//            directories; every rustc and build-script run is logged
//            (cargo's helper thread reads the jobserver blocking)
//   gcc      gcc -flto=jobserver links of 8 partitions, one after another
//            (gcc 12's lto-wrapper runs make for its ltrans jobs)
// Every side wants work until a deadline SECONDS after the start, then
// winds down. Each job logs its own start and end (not jobslot's trace). Over
// the window from the moment all four run to the deadline, each side's share
// of the token-seconds in use, and
// its longest wait: the longest time it ran none of its jobs while it had
// some left (for gcc that includes its serial link phases, which are not
// waits for a token). Fair is 1/4 each; the goal: no side below half of that,
// no wait longer than the longest job.
//
//   node bench/fairness.mjs [--jobs 6] [--units 8] [--ms 300] [--seconds 30] [--make PATH] [--runs 1] [--only jobslot,make,cargo,gcc]
// Run small on a shared machine; its figures say how loaded the machine was.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './lib/table.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const CLI = join(ROOT, 'packages/core/dist/cli.js');
const PEERS = join(ROOT, 'test/fixtures/peers');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const jobs = Number(arg('jobs', '6'));
const units = Number(arg('units', '8'));
const seconds = Number(arg('seconds', '30'));
const ms = Number(arg('ms', '300'));
const runs = Number(arg('runs', '1'));
const make = arg('make', 'make');
/** --only jobslot,make: a subset of the sides. */
const only = arg('only', 'jobslot,make,cargo,gcc').split(',');
const onPath = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim() || undefined;
const cargoHome = join(homedir(), '.cargo/bin/cargo');
const cargo = onPath('cargo') ?? (existsSync(cargoHome) ? cargoHome : undefined);
const gcc = onPath('gcc');
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

function setup(deadline) {
  const before = `[ "$$(date +%s.%N)" \\< ${deadline.toFixed(3)} ]`;
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-fair-'));
  const logs = Object.fromEntries(['jobslot', 'make', 'cargo', 'gcc'].map((s) => [s, join(dir, `${s}.log`)]));
  const targets = ['jobslot', 'make'];
  const rules = [
    `jobslot:\n\t+@node ${q(join(HERE, 'fairness/jobslot-side.mjs'))} ${q(logs.jobslot)} ${units} ${ms} ${deadline}`,
    `make:\n\t+@$(MAKE) -s -f make-side.mk`,
  ];
  // More recipes than the deadline leaves time for; those after it end at once, unlogged.
  const names = Array.from({ length: Math.ceil((seconds * 1000 * jobs) / ms) }, (_, i) => `m${i}`);
  writeFileSync(
    join(dir, 'make-side.mk'),
    `all: ${names.join(' ')}\n${names.join(' ')}:\n\t@${before} || exit 0; echo start $@ $$(date +%s.%N) >> ${q(logs.make)}; sleep ${ms / 1000}; echo end $@ $$(date +%s.%N) >> ${q(logs.make)}\n`,
  );
  if (cargo && only.includes('cargo')) {
    const ws = join(dir, 'ws');
    const crates = Array.from({ length: 16 }, (_, i) => `c${i}`);
    mkdirSync(ws);
    writeFileSync(join(ws, 'Cargo.toml'), `[workspace]\nmembers = [${crates.map((c) => `"${c}"`).join(', ')}]\nresolver = "2"\n`);
    for (const c of crates) {
      mkdirSync(join(ws, c, 'src'), { recursive: true });
      writeFileSync(join(ws, c, 'Cargo.toml'), `[package]\nname = "${c}"\nversion = "0.1.0"\nedition = "2021"\nbuild = "build.rs"\n`);
      writeFileSync(join(ws, c, 'src/lib.rs'), 'pub fn f() -> u32 { 1 }\n');
      // The build script's run is a job too: it logs itself (rustc is logged by the wrapper).
      writeFileSync(
        join(ws, c, 'build.rs'),
        `use std::io::Write;
fn now() -> f64 { std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() }
fn stamp(kind: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).create(true).open(std::env::var("SIDE_LOG").unwrap()).unwrap();
    f.write_all(format!("{} b{}-{} {:.6}\\n", kind, std::process::id(), "${c}", now()).as_bytes()).unwrap();
}
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if now() < ${deadline.toFixed(3)} {
        stamp("start");
        std::thread::sleep(std::time::Duration::from_millis(${ms}));
        stamp("end");
    }
}
`,
      );
    }
    targets.push('cargo');
    // Every rustc and every build script run is one logged job.
    rules.push(
      `cargo:\n\t+@cd ${q(ws)} && i=0; while ${before}; do i=$$((i+1)); SIDE_LOG=${q(logs.cargo)} RUSTC_WRAPPER=${q(join(HERE, 'fairness/log-job.sh'))} CARGO_TARGET_DIR=${q(join(dir, 'target'))}$$i PATH=${q(dirname(cargo))}:$$PATH cargo build --offline -q || exit 1; done`,
    );
  }
  if (gcc && only.includes('gcc')) {
    const objects = join(dir, 'lto');
    spawnSync('node', [join(PEERS, 'gen.mjs'), 'lto', objects]);
    spawnSync('sh', ['-c', `cd ${q(objects)} && for f in *.c; do gcc -O2 -flto -c "$f" || exit 1; done`]);
    const libgcc = execFileSync('gcc', ['-print-libgcc-file-name'], { encoding: 'utf8' }).trim();
    const link = (n) => `${q(join(PEERS, 'ltrans-gcc.sh'))} -O2 -flto=jobserver --param lto-partitions=8 --param lto-min-partition=1 ${q(objects)}/*.o -o ${q(join(objects, `prog${n}`))}`;
    targets.push('gcc');
    rules.push(`gcc:\n\t+@GCC_EXEC_PREFIX=${q(`${dirname(dirname(dirname(libgcc)))}/`)} REAL_GCC=${q(gcc)} LTRANS_LOG=${q(logs.gcc)} sh -c ${q(`while ${before}; do ${link(1)} || exit 1; done`)}`);
  }
  writeFileSync(join(dir, 'Makefile'), `all: ${targets.join(' ')}\n${rules.join('\n')}\n.PHONY: all ${targets.join(' ')}\n`);
  return { dir, logs, sides: targets };
}

function events(file) {
  if (!existsSync(file)) return [];
  const open = new Map();
  const jobsDone = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [kind, id, t] = line.trim().split(/\s+/);
    if (kind === 'start') open.set(id, Number(t));
    else if (kind === 'end' && open.has(id)) {
      jobsDone.push([open.get(id), Number(t)]);
      open.delete(id);
    }
  }
  return jobsDone;
}

function analyse(logs, sides, deadline) {
  const all = Object.fromEntries(sides.map((s) => [s, events(logs[s])]));
  const from = Math.max(...sides.map((s) => Math.min(...all[s].map((j) => j[0]))));
  const to = deadline;
  const longestJob = Math.max(...sides.flatMap((s) => all[s].map(([a, b]) => b - a)));
  const seconds = (s) => all[s].reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
  const total = sides.reduce((sum, s) => sum + seconds(s), 0);
  const rows = sides.map((s) => {
    // Longest time with none of this side's jobs running, between its first start and the deadline.
    const spans = all[s].filter(([a]) => a < to).sort((x, y) => x[0] - y[0]);
    let reach = spans[0]?.[1] ?? 0;
    let wait = 0;
    for (const [a, b] of spans) {
      if (a > reach) wait = Math.max(wait, a - reach);
      reach = Math.max(reach, b);
    }
    if (to > reach) wait = Math.max(wait, to - reach);
    const share = total > 0 ? seconds(s) / total : 0;
    return { side: s, jobs: all[s].length, share, wait, ok: share >= 0.5 / sides.length && wait <= longestJob };
  });
  return { window: to - from, longestJob, rows };
}

const load = loadavg()[0];
console.log(`fairness: make -j${jobs} (${make}), ${seconds} s of wanting more than a share, units of ${ms} ms; load average ${load.toFixed(2)} on ${execFileSync('nproc', { encoding: 'utf8' }).trim()} CPUs at the start${load > 2 ? ' (a loaded machine: shares are noisy)' : ''}`);
let failed = false;
for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  const deadline = started / 1000 + seconds;
  const { dir, logs, sides } = setup(deadline);
  const extra = make.includes('4.4') ? ['--jobserver-style=pipe'] : [];
  const result = spawnSync(make, [`-j${jobs}`, ...extra], { cwd: dir, encoding: 'utf8', env: { ...process.env, MAKEFLAGS: '' } });
  const leak = /INTERNAL: Exiting with \d+ jobserver tokens?/.exec(result.stdout + result.stderr)?.[0];
  if (result.status !== 0) {
    console.error(result.stderr.slice(-2000));
    process.exit(1);
  }
  const { window, longestJob, rows } = analyse(logs, sides, deadline);
  if (!(window > 0)) {
    console.log(`run ${run}: the four sides never ran together before the deadline (gcc's serial link phase is long on a loaded machine): try a larger --seconds`);
    failed = true;
    continue;
  }
  table(
    `run ${run}: ${((Date.now() - started) / 1000).toFixed(1)} s in all; all ${sides.length} sides ran together for ${window.toFixed(1)} s; longest job ${longestJob.toFixed(2)} s${leak ? `; make: ${leak}` : ''}`,
    ['side', 'jobs', 'share of token-s', 'fair', 'longest wait s', 'goal'],
    rows.map((r) => [r.side, r.jobs, `${(r.share * 100).toFixed(1)}%`, `${(100 / sides.length).toFixed(1)}%`, r.wait.toFixed(2), r.ok ? 'met' : 'MISSED']),
  );
  if (rows.some((r) => !r.ok) || leak) failed = true;
}
process.exitCode = failed ? 1 : 0;
