// @jobslot/esbuild-plugin under real GNU make (4.3 pipe style, 4.4.1 fifo
// style) and under `jobslot -j N` / `jobslot run`: node scripts each starting
// several esbuild builds at once; the slots they hold (JOBSLOT_TRACE), what
// esbuild's Go service was started with (/proc/<pid>/environ), the output
// against builds without the plugin, and every token back, including after
// failed builds and SIGINT.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { analyzeTrace, readTrace, type TraceEvent } from '@jobslot/core/trace';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI, cleanEnv, makeBins, processTree, ROOT, run, runMake, sh, tempDir, type MakeBin } from './support/index.js';
// @ts-expect-error: a plain .mjs fixture, shared with the benchmark
import { generateSources } from './fixtures/esbuild-plugin/gen-src.mjs';

// The project configs do not inherit the root's 60 s; these start real processes
// on a shared 2-core machine. Bounds, not expectations.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SCRIPT = join(ROOT, 'test/fixtures/esbuild-plugin/build.mjs');
const PLUGIN_DIST = join(ROOT, 'packages/esbuild-plugin/dist/index.js');
const { available, skipped } = makeBins();
for (const why of skipped) console.warn(`skipped: ${why}`);

interface BuildReport {
  pid: number;
  t: number;
  mode: string;
  kind: 'build';
  servicePid: number | null;
  gomaxprocs: number | null;
  slots: number;
  active: number;
  held: number;
  services: Array<{ pid: number; state: string; gomaxprocs: number | null }>;
}
interface EndReport {
  pid: number;
  mode: string;
  kind: 'end';
  failed: number[];
  active: number | null;
  held: number | null;
  state: { threads?: number; starts: number } | null;
  gomaxprocs: string | null;
}

function reports(file: string): { builds: BuildReport[]; ends: EndReport[] } {
  const lines = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as BuildReport | EndReport)
    : [];
  return { builds: lines.filter((l): l is BuildReport => l.kind === 'build'), ends: lines.filter((l): l is EndReport => l.kind === 'end') };
}

let src: string;
/** The same builds, without jobslot and without make: what every run must write byte for byte. */
const reference = { plain: '', wrap: '' };
const BUILDS = 4;

beforeAll(async () => {
  if (!existsSync(PLUGIN_DIST)) throw new Error(`${PLUGIN_DIST} missing: build first (npx turbo run build)`);
  src = tempDir('jobslot-esbuild-src-');
  generateSources(src, { entries: 3, modules: 80 });
  for (const wrap of [false, true]) {
    // One level below a temp dir, as the make runs' outputs are, so source map paths compare equal.
    reference[wrap ? 'wrap' : 'plain'] = join(tempDir('jobslot-esbuild-ref-'), 'out');
    const result = await run('node', [SCRIPT, '--src', src, '--out', reference[wrap ? 'wrap' : 'plain'], '--builds', String(BUILDS), '--mode', 'none', ...(wrap ? ['--wrap'] : [])], {
      env: cleanEnv({ GOMAXPROCS: undefined }),
    });
    expect(result.code, result.stderr).toBe(0);
  }
});

function script(out: string, ...flags: string[]): string {
  return `node ${sh(SCRIPT)} --src ${sh(src)} --out ${sh(out)} ${flags.join(' ')}`;
}

/** Every output file in `dir` is byte for byte the reference's. */
function expectSameOutput(dir: string, wrap: boolean): void {
  const ref = reference[wrap ? 'wrap' : 'plain'];
  const names = readdirSync(ref).sort();
  expect(readdirSync(dir).sort(), dir).toEqual(names);
  for (const name of names) expect(readFileSync(join(dir, name)).equals(readFileSync(join(ref, name))), `${dir}/${name}`).toBe(true);
}

/** Samples every esbuild process under `root` from /proc: its parent and the GOMAXPROCS it was started with. */
function esbuildSampler(root: number): () => Map<number, { ppid: number; gomaxprocs: number | null }> {
  const seen = new Map<number, { ppid: number; gomaxprocs: number | null }>();
  const timer = setInterval(() => {
    for (const p of processTree(root)) {
      if (p.comm !== 'esbuild' || seen.has(p.pid)) continue;
      try {
        const environ = readFileSync(`/proc/${p.pid}/environ`, 'utf8');
        // Empty: a service stopped for a restart, exited and not yet reaped (a zombie has no environment left).
        if (environ === '') continue;
        const entry = environ.split('\0').find((e) => e.startsWith('GOMAXPROCS='));
        seen.set(p.pid, { ppid: p.ppid, gomaxprocs: entry ? Number(entry.slice(11)) : null });
      } catch {
        // gone meanwhile
      }
    }
  }, 10);
  return () => {
    clearInterval(timer);
    return seen;
  };
}

/** Runs make in the background (so the sampler can watch it) and collects the result. */
async function makeWithSampler(make: MakeBin, dir: string, jobs: number, makefile: string, env: Record<string, string | undefined>) {
  writeFileSync(join(dir, 'Makefile'), makefile);
  const child = spawn(make.bin, [`-j${jobs}`], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = esbuildSampler(child.pid!);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output, services: stop(), leakLine: /INTERNAL: Exiting with \d+ jobserver tokens?.*/.exec(output)?.[0] };
}

const MODES = ['build --wrap', 'inline --wrap', 'context', 'build', 'inline', 'context --wrap'];

describe.each(available)('make $version ($style)', (make) => {
  it.each([2, 4])(
    '-j%i, six scripts of four builds at once: slots within -j, every Go service within its slots, same output, every token back',
    async (jobs) => {
      const dir = tempDir('jobslot-esbuild-');
      const tracePath = join(dir, 'trace.jsonl');
      const reportPath = join(dir, 'reports.jsonl');
      const names = MODES.map((_, i) => `s${i}`);
      const makefile = [
        `all: ${names.join(' ')}`,
        ...names.map((n, i) => `${n}:\n\t+@${script(join(dir, n), `--builds ${BUILDS}`, `--mode ${MODES[i]}`, `--report ${sh(reportPath)}`)}`),
        '',
      ].join('\n');
      const result = await makeWithSampler(make, dir, jobs, makefile, { JOBSLOT_TRACE: tracePath, GOMAXPROCS: undefined });
      expect(result.code, result.output).toBe(0);
      expect(result.leakLine).toBeUndefined();
      expect(result.output).not.toMatch(/jobslot:/);

      const events = readTrace(tracePath);
      const trace = analyzeTrace(events, jobs);
      expect(trace.unreturned).toBe(0);
      expect(trace.peak).toBeLessThanOrEqual(jobs);
      expect(trace.peak, 'the scripts used the tokens').toBeGreaterThan(1);

      const { builds, ends } = reports(reportPath);
      expect(ends).toHaveLength(6);
      for (const end of ends) {
        expect(end).toMatchObject({ failed: [], active: 0, held: 0, gomaxprocs: null });
      }
      // Every build (and rebuild), while it runs: the service it runs on was
      // started (so /proc says) with no more threads than this process holds slots.
      expect(builds.length).toBeGreaterThanOrEqual(6 * BUILDS);
      for (const b of builds) {
        expect(b.gomaxprocs, JSON.stringify(b)).not.toBeNull();
        expect(b.gomaxprocs!, JSON.stringify(b)).toBeLessThanOrEqual(b.slots);
        expect(b.slots, JSON.stringify(b)).toBeLessThanOrEqual(b.active);
        expect(b.active).toBeLessThanOrEqual(jobs);
      }
      // And from outside: every esbuild service make's tree ever had.
      expect(result.services.size).toBeGreaterThanOrEqual(6);
      for (const [pid, s] of result.services) {
        const parent = trace.perProcess.get(s.ppid);
        expect(s.gomaxprocs, `service ${pid} has GOMAXPROCS set`).not.toBeNull();
        expect(s.gomaxprocs!, `service ${pid} of ${s.ppid}`).toBeLessThanOrEqual(parent?.peak ?? 0);
      }
      for (const [i, n] of names.entries()) expectSameOutput(join(dir, n), MODES[i]!.includes('--wrap'));
    },
  );

  it('-j4: failing builds (syntax error, exception in a governed plugin, rejected promise) give every slot and token back', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    const reportPath = join(dir, 'reports.jsonl');
    const cases = ['syntax --mode build', 'throw --mode inline --wrap', 'reject --mode context'];
    const makefile = ['all: f0 f1 f2', ...cases.map((c, i) => `f${i}:\n\t+@${script(join(dir, `f${i}`), '--builds 3', `--report ${sh(reportPath)}`, `--fail ${c}`)}`), ''].join('\n');
    const result = await runMake({ make, dir, jobs: 4, makefile, env: { JOBSLOT_TRACE: tracePath } });
    // Each script exits 3 unless exactly build 0 failed and it holds nothing afterwards.
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const { ends } = reports(reportPath);
    expect(ends.map((e) => e.failed)).toEqual([[0], [0], [0]]);
    const trace = analyzeTrace(readTrace(tracePath), 4);
    expect(trace.unreturned).toBe(0);
    expect(trace.peak).toBeLessThanOrEqual(4);
  });

  // The first of several builds started at once sizes the service: its
  // siblings queue behind it, and the slot one of them borrows must not be
  // the token the threads needed (it was: GOMAXPROCS=1 with 2 slots free,
  // ×1.5 of plain esbuild's wall time on real code, bench/real).
  it.each(['build', 'inline --wrap', 'context'])(`-j2, one script alone, ${BUILDS} builds at once (--mode %s): the service gets both slots (GOMAXPROCS 2, from /proc), same output, every token back`, async (mode) => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    const makefile = `all:\n\t+@${script(join(dir, 'a'), `--builds ${BUILDS}`, `--mode ${mode}`)}\n`;
    const result = await makeWithSampler(make, dir, 2, makefile, { JOBSLOT_TRACE: tracePath, GOMAXPROCS: undefined });
    expect(result.code, result.output).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(result.output).not.toMatch(/jobslot:/);
    const threads = [...result.services.values()].map((s) => s.gomaxprocs);
    expect(threads, 'every service the script started, as /proc shows it').toEqual([Math.min(2, availableParallelism())]);
    const trace = analyzeTrace(readTrace(tracePath), 2);
    expect(trace.unreturned).toBe(0);
    expect(trace.peak).toBeLessThanOrEqual(2);
    expectSameOutput(join(dir, 'a'), mode.includes('--wrap'));
  });

  it(`-j2, the other slot held by another recipe all along: ${BUILDS} builds at once run on GOMAXPROCS 1, never more threads than slots`, async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    // `hold` starts first (make's own slot), so the script runs on the one token make read for it,
    // and `hold` keeps its slot until the script is done (it waits for `done`, whatever the script's outcome).
    const makefile = [
      'all: hold s',
      'hold:\n\t@while [ ! -e done ]; do sleep 0.02; done',
      `s:\n\t+@${script(join(dir, 'a'), `--builds ${BUILDS}`, '--mode build')}; r=$$?; touch done; exit $$r`,
      '',
    ].join('\n');
    const result = await makeWithSampler(make, dir, 2, makefile, { JOBSLOT_TRACE: tracePath, GOMAXPROCS: undefined });
    expect(result.code, result.output).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(result.output).not.toMatch(/jobslot:/);
    expect([...result.services.values()].map((s) => s.gomaxprocs)).toEqual([1]);
    const trace = analyzeTrace(readTrace(tracePath), 2);
    expect(trace.unreturned).toBe(0);
    expect([...trace.perProcess.values()].reduce((n, p) => n + p.acquired, 0), 'no token was free to take').toBe(0);
    expectSameOutput(join(dir, 'a'), false);
  });
});

describe.each(['fifo', 'pipe'] as const)('jobslot -j N --style %s', (style) => {
  it('one script alone: the service gets the process slot and the free tokens, up to the ceiling', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const reportPath = join(dir, 'reports.jsonl');
    const tracePath = join(dir, 'trace.jsonl');
    const result = await run('node', [CLI, '-j', '4', '--style', style, '--', 'node', SCRIPT, '--src', src, '--out', join(dir, 'a'), '--builds', '1', '--max', '3', '--report', reportPath], {
      env: cleanEnv({ JOBSLOT_TRACE: tracePath }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/not returned/);
    const { builds, ends } = reports(reportPath);
    expect(builds[0]).toMatchObject({ gomaxprocs: 3, slots: 3, active: 3, held: 2 });
    expect(ends[0]).toMatchObject({ active: 0, held: 0, state: { threads: 3 } });
    expect(analyzeTrace(readTrace(tracePath), 4).unreturned).toBe(0);
  });

  it('under `jobslot run --max 3`: the script takes its tokens from the sub-pool, never more than 3 slots', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const reportPath = join(dir, 'reports.jsonl');
    const tracePath = join(dir, 'trace.jsonl');
    const result = await run(
      'node',
      [CLI, '-j', '4', '--style', style, '--', 'node', CLI, 'run', '--max', '3', '--', 'node', SCRIPT, '--src', src, '--out', join(dir, 'a'), '--builds', '3', '--report', reportPath],
      { env: cleanEnv({ JOBSLOT_TRACE: tracePath }) },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/not returned/);
    const { builds, ends } = reports(reportPath);
    for (const b of builds) {
      expect(b.gomaxprocs!).toBeLessThanOrEqual(b.slots);
      expect(b.slots).toBeLessThanOrEqual(3);
      // Tokens from jobslot run's sub-pool of at most 3 slots: 2 beside the implicit one.
      expect(b.held).toBeLessThanOrEqual(2);
    }
    // `jobslot run` set GOMAXPROCS=3 for the script; the service was started with what the script held.
    expect(ends[0]).toMatchObject({ active: 0, held: 0, gomaxprocs: '3' });
    expect(ends[0]!.state!.threads).toBeLessThanOrEqual(3);
    const events = readTrace(tracePath);
    expect(analyzeTrace(events, 4).peak).toBeLessThanOrEqual(3);
    expect(analyzeTrace(events).unreturned).toBe(0);
  });
});

it('without a jobserver: no waiting, no change to esbuild, the same output', async () => {
  const dir = tempDir('jobslot-esbuild-');
  const reportPath = join(dir, 'reports.jsonl');
  const out = join(dir, 'a');
  const result = await run('node', [SCRIPT, '--src', src, '--out', out, '--builds', String(BUILDS), '--mode', 'inline', '--wrap', '--report', reportPath], {
    env: cleanEnv({ GOMAXPROCS: undefined }),
  });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  const { builds, ends } = reports(reportPath);
  expect(ends[0]).toMatchObject({ active: 0, held: 0, state: { starts: 0 } });
  for (const b of builds) expect(b).toMatchObject({ servicePid: null, slots: 0 });
  expect(builds[0]!.services.map((s) => s.gomaxprocs), 'esbuild keeps its default').toEqual([null]);
  expectSameOutput(out, true);
});

// ---- SIGINT mid-build ----------------------------------------------------

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** the node scripts that were building when interrupted */
  scripts: number[];
  /** their esbuild services */
  services: number[];
}

/**
 * Starts `cmd` in its own process group, waits until `building` scripts print
 * BUILDING, then sends SIGINT to the scripts only ('scripts') or to the whole
 * group, as Ctrl-C in a terminal does ('group').
 */
function interruptWhileBuilding(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; building: number; target: 'scripts' | 'group' }): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let scripts: number[] = [];
    let services: number[] = [];
    let sent = false;
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`no interrupt after 30 s; stdout: ${stdout}\nstderr: ${stderr}`));
    }, 30_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (sent || (stdout.match(/^BUILDING$/gm) ?? []).length < options.building) return;
      sent = true;
      const tree: Array<{ pid: number; comm: string }> = processTree(child.pid!);
      scripts = tree
        .filter((p) => p.pid !== child.pid && isNode(p.pid) && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(SCRIPT))
        .map((p) => p.pid);
      services = tree.filter((p) => p.comm === 'esbuild').map((p) => p.pid);
      if (options.target === 'group') process.kill(-child.pid!, 'SIGINT');
      else for (const pid of scripts) process.kill(pid, 'SIGINT');
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, scripts, services });
    });
  });
}

/** Whether `pid` runs node (by its executable: node 24 and up name their main thread, so the comm is no longer "node"). */
function isNode(pid: number): boolean {
  try {
    return realpathSync(`/proc/${pid}/exe`) === realpathSync(process.execPath);
  } catch {
    return false;
  }
}

function tokensTakenBy(events: TraceEvent[], pids: number[]): number {
  return events.filter((e) => pids.includes(e.pid) && e.ev === 'acquire').length;
}

/** Waits up to 3 s for `pids` to be gone; returns those still there. */
async function stillRunning(pids: number[]): Promise<number[]> {
  const end = Date.now() + 3000;
  let left = pids.filter((pid) => existsSync(`/proc/${pid}`));
  while (left.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    left = left.filter((pid) => existsSync(`/proc/${pid}`));
  }
  return left;
}

describe.each(available)('SIGINT mid-build, make $version ($style)', (make: MakeBin) => {
  // -j4 with two recipes: make takes one token for the second, so two stay
  // free for the scripts' builds to take: the interrupt hits scripts holding tokens.
  const makefile = (dir: string) =>
    ['all: a b', `a:\n\t+@${script(join(dir, 'a'), '--builds 3 --hang --mode build')}`, `b:\n\t+@${script(join(dir, 'b'), '--builds 3 --hang --mode context')}`, ''].join('\n');

  it('the scripts interrupted: make -j4 goes on to exit with every token back, no service left', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    writeFileSync(join(dir, 'Makefile'), makefile(dir));
    const result = await interruptWhileBuilding(make.bin, ['-j4'], { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: tracePath }), building: 2, target: 'scripts' });
    expect(result.scripts).toHaveLength(2);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout + result.stderr).not.toMatch(/INTERNAL: Exiting with \d+ jobserver tokens?/);
    const events = readTrace(tracePath);
    expect(tokensTakenBy(events, result.scripts), 'the scripts held tokens when interrupted').toBeGreaterThan(0);
    expect(analyzeTrace(events, 4).unreturned).toBe(0);
    expect(result.services.length).toBeGreaterThanOrEqual(result.scripts.length);
    expect(await stillRunning(result.services), 'esbuild services left behind').toEqual([]);
  });

  it('Ctrl-C to the whole process group: the scripts give back every token they took', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    writeFileSync(join(dir, 'Makefile'), makefile(dir));
    const result = await interruptWhileBuilding(make.bin, ['-j4'], { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: tracePath }), building: 2, target: 'group' });
    expect(result.signal ?? result.code).toBeTruthy();
    const events = readTrace(tracePath);
    expect(tokensTakenBy(events, result.scripts)).toBeGreaterThan(0);
    // make itself does not write back its own jobs' tokens when it dies of a
    // signal; the trace covers what the scripts took.
    expect(analyzeTrace(events, 4).unreturned).toBe(0);
    expect(await stillRunning(result.services), 'esbuild services left behind').toEqual([]);
  });
});

describe.each(['fifo', 'pipe'] as const)('SIGINT mid-build, jobslot -j 3 --style %s', (style) => {
  it('Ctrl-C: the script dies of SIGINT and the jobserver counts every token back', async () => {
    const dir = tempDir('jobslot-esbuild-');
    mkdirSync(join(dir, 'a'));
    const tracePath = join(dir, 'trace.jsonl');
    const result = await interruptWhileBuilding(
      'node',
      [CLI, '-j', '3', '--style', style, '--', 'node', SCRIPT, '--src', src, '--out', join(dir, 'a'), '--builds', '3', '--hang', '--max', '3'],
      { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: tracePath }), building: 1, target: 'group' },
    );
    expect(result.scripts).toHaveLength(1);
    expect(result.stderr).not.toMatch(/not returned/);
    // Dead of SIGINT, or (the service got the SIGINT too, and its builds failed first) exit 1 as a failed build.
    expect(result.signal === 'SIGINT' || result.code === 130 || result.code === 1, `${result.code} ${result.signal}`).toBe(true);
    const events = readTrace(tracePath);
    expect(tokensTakenBy(events, result.scripts), 'both tokens').toBe(2);
    expect(analyzeTrace(events, 3).unreturned).toBe(0);
    expect(await stillRunning(result.services), 'esbuild services left behind').toEqual([]);
  });
});
