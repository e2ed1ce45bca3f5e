// Shared helpers for tests that run real GNU make and the jobslot command.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { killTree, startSampler } from './procstat.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The built `jobslot` command. */
export const CLI = join(ROOT, 'packages/core/dist/cli.cjs');

export interface MakeBin {
  version: string;
  bin: string;
  /** How this make passes its jobserver to recipes. */
  style: 'pipe' | 'fifo';
}

function versionOf(bin: string): string | undefined {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    return /GNU Make (\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The makes to test against: the system make (4.3 here, pipe style) and make
 * 4.4.1 (fifo style) from `JOBSLOT_MAKE44` or `.tools/make-4.4.1/bin/make`,
 * which `scripts/build-make44.sh` builds. `skipped` says why one is missing.
 */
export function makeBins(): { available: MakeBin[]; skipped: string[] } {
  const available: MakeBin[] = [];
  const skipped: string[] = [];
  const system = versionOf('make');
  if (system) available.push({ version: system, bin: 'make', style: system.startsWith('4.3') || system < '4.4' ? 'pipe' : 'fifo' });
  else skipped.push('no `make` on PATH');
  const make44 = process.env.JOBSLOT_MAKE44 ?? join(ROOT, '.tools/make-4.4.1/bin/make');
  const v44 = existsSync(make44) ? versionOf(make44) : undefined;
  if (v44 && v44 !== system) available.push({ version: v44, bin: make44, style: 'fifo' });
  else if (!v44) {
    const why = `make 4.4.1 not built (${make44} missing): run scripts/build-make44.sh to test the fifo style`;
    // CI builds it first: there, a missing make 4.4.1 is a failure, not a skip.
    if (process.env.JOBSLOT_REQUIRE_MAKE44) throw new Error(why);
    skipped.push(why);
  }
  return { available, skipped };
}

export function tempDir(prefix = 'jobslot-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the run was killed at its time-out. */
  timedOut?: boolean;
}

/**
 * Runs a command to completion, collecting its output. After `timeoutMs` it
 * kills the command's whole tree, not the command alone: the command runs in
 * a process group (and session) of its own, and every process in that group,
 * and every descendant that left it, gets SIGKILL. A recipe's `sleep` or a
 * hung tool left running would otherwise hold the output pipes open (so the
 * run never ends) and the jobserver's descriptors (so make's count is off).
 */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A command that exits before reading its input (mkfifo, true) closes the pipe: not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child.pid!);
    }, options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr, ...(timedOut ? { timedOut } : {}) });
    });
  });
}

/** The environment for a child make: no jobserver leaking in from whatever runs the tests. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'CARGO_MAKEFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'JOBSLOT_TRACE', 'JOBSLOT_POOL', 'GOMAXPROCS', 'NODE_OPTIONS']) delete env[k];
  return { ...env, ...extra };
}

export interface MakeResult extends RunResult {
  /** The `INTERNAL: Exiting with N jobserver tokens` line make 4.3 prints on a leak, if any. */
  leakLine: string | undefined;
}

/** Writes `makefile` into `dir` and runs `make -jN` there. */
export async function runMake(options: {
  make: MakeBin;
  dir: string;
  jobs: number;
  makefile: string;
  targets?: string[];
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}): Promise<MakeResult> {
  writeFileSync(join(options.dir, 'Makefile'), options.makefile);
  const result = await run(options.make.bin, [`-j${options.jobs}`, ...(options.targets ?? [])], {
    cwd: options.dir,
    env: cleanEnv(options.env),
    timeoutMs: options.timeoutMs,
  });
  const leakLine = /INTERNAL: Exiting with \d+ jobserver tokens?.*/.exec(result.stdout + result.stderr)?.[0];
  return { ...result, leakLine };
}

/**
 * Runs `command` to its end while sampling its process tree from /proc every
 * 5 ms (startSampler): for tests that count a tool's threads under make.
 * `onStart` gets the child's pid as it starts, for any other watch of the tree.
 */
export async function runSampled(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; onStart?: (pid: number) => void },
) {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const sampler = startSampler(child.pid!, { intervalMs: 5 });
  options.onStart?.(child.pid!);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const stats = sampler.stop();
  return { code, output, stats, samples: sampler.samples, leak: /INTERNAL: Exiting with/.test(output) };
}

/** A program on PATH (or the first of `fallbacks` that exists), or undefined: for tests of peers that may be missing. */
export function which(bin: string, fallbacks: string[] = []): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return fallbacks.find((f) => existsSync(f));
  }
}

/** Quotes a string for a POSIX shell (Makefile recipes). */
export function sh(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The most jobs alive at once in a log of "start <id> <time>" / "end <id>
 * <time>" lines, as recipes, build scripts and compiler wrappers write them:
 * a count of concurrency that does not rely on jobslot's own trace.
 */
export function peakFromLog(text: string): { peak: number; jobs: number } {
  const events = text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => (w[0] === 'start' || w[0] === 'end') && w.length >= 3)
    .map(([kind, , t]) => ({ delta: kind === 'start' ? 1 : -1, t: Number(t) }))
    // At equal times an end comes first: a job that ends as another starts did not overlap it.
    .sort((a, b) => a.t - b.t || a.delta - b.delta);
  let running = 0;
  let peak = 0;
  for (const e of events) {
    running += e.delta;
    peak = Math.max(peak, running);
  }
  return { peak, jobs: events.filter((e) => e.delta === 1).length };
}
