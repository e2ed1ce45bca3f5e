// @jobslot/esbuild-plugin under real GNU make (4.3 pipe style, 4.4.1 fifo
// style) and under `jobslot -j N` / `jobslot run`: node scripts each running
// several esbuild builds; what esbuild's Go service was started with, read
// from /proc/<pid>/environ; every token back, including after SIGINT.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace, type TraceEvent } from '@jobslot/core';
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

interface Report {
  pid: number;
  t: number;
  threads: number | null;
  slots: number | null;
  servicePid: number | null;
  reason: string | null;
  /** esbuild children of the script, as /proc shows them */
  services: Array<{ pid: number; gomaxprocs: string | null }>;
  activeSlots: number | null;
  heldTokens: number | null;
  /** GOMAXPROCS in the script's own environment after its builds */
  gomaxprocs: string | null;
}

function reports(file: string): Report[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Report);
}

/** Slots `pid` had running at time `t`, from its limiter's slot events in the trace. */
function activeAt(events: TraceEvent[], pid: number, t: number): number {
  let active = 0;
  for (const e of events) {
    if (e.t > t) break;
    if (e.pid === pid && (e.ev === 'slot-start' || e.ev === 'slot-end')) active = e.active ?? 0;
  }
  return active;
}

let src: string;
beforeAll(() => {
  if (!existsSync(PLUGIN_DIST)) throw new Error(`${PLUGIN_DIST} missing: build first (npx turbo run build)`);
  src = tempDir('jobslot-esbuild-src-');
  generateSources(src, { entries: 3, modules: 80 });
});

function script(out: string, ...flags: string[]): string {
  return `node ${sh(SCRIPT)} --src ${sh(src)} --out ${sh(out)} ${flags.join(' ')}`;
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

describe.each(available)('make $version ($style)', (make) => {
  it.each([2, 4])('-j%i, six scripts of four builds: one service per script, GOMAXPROCS within the slots it holds', async (jobs) => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    const reportPath = join(dir, 'reports.jsonl');
    const names = ['s1', 's2', 's3', 's4', 's5', 's6'];
    // Half the scripts create one plugin per build: they must still share one service.
    const makefile = [
      `all: ${names.join(' ')}`,
      ...names.map((n, i) => `${n}:\n\t+@${script(join(dir, n), '--builds 4', `--report ${sh(reportPath)}`, i % 2 ? '--inline' : '')}`),
      '',
    ].join('\n');
    const result = await runMake({ make, dir, jobs, makefile, env: { JOBSLOT_TRACE: tracePath, GOMAXPROCS: undefined } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(result.stderr).not.toMatch(/jobslot:/);
    for (const n of names) for (let i = 0; i < 4; i++) expect(existsSync(join(dir, n, `out${i}.js`))).toBe(true);

    const events = readTrace(tracePath);
    const trace = analyzeTrace(events, jobs);
    expect(trace.unreturned).toBe(0);
    expect(trace.peak).toBeLessThanOrEqual(jobs);
    expect(trace.warnings).toEqual([]);

    const seen = reports(reportPath);
    expect(seen).toHaveLength(6);
    for (const r of seen) {
      expect(r.services, 'exactly one esbuild service per script').toHaveLength(1);
      const [service] = r.services;
      expect(service!.pid).toBe(r.servicePid);
      expect(r.threads).toBeGreaterThanOrEqual(1);
      expect(service!.gomaxprocs, 'the service was started with the plugin’s GOMAXPROCS').toBe(String(r.threads));
      expect(r.threads).toBeLessThanOrEqual(jobs);
      // What the script held by its own count and by the trace: never fewer slots than Go threads.
      expect(r.activeSlots).toBe(r.slots);
      expect(r.slots).toBe(r.threads);
      expect(activeAt(events, r.pid, r.t)).toBeGreaterThanOrEqual(r.threads!);
      expect(r.gomaxprocs, 'the script’s own environment is untouched').toBeNull();
    }
  });

  it('-j4, two scripts: the free tokens go to the services, and every one comes back', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    const reportPath = join(dir, 'reports.jsonl');
    // Each script holds its slots until it exits, so the two services together
    // can never have more threads than -j4 allows.
    const makefile = ['all: a b', ...['a', 'b'].map((n) => `${n}:\n\t+@${script(join(dir, n), '--builds 3', `--max-threads 4 --report ${sh(reportPath)}`)}`), ''].join('\n');
    const result = await runMake({ make, dir, jobs: 4, makefile, env: { JOBSLOT_TRACE: tracePath } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const seen = reports(reportPath);
    expect(seen).toHaveLength(2);
    const events = readTrace(tracePath);
    for (const r of seen) {
      expect(r.services[0]!.gomaxprocs).toBe(String(r.threads));
      expect(activeAt(events, r.pid, r.t)).toBeGreaterThanOrEqual(r.threads!);
    }
    expect(analyzeTrace(events, 4).unreturned).toBe(0);
    expect(analyzeTrace(events, 4).peak).toBeLessThanOrEqual(4);
  });
});

describe.each(['fifo', 'pipe'] as const)('jobslot -j N --style %s', (style) => {
  it('one script alone takes its slot and every free token up to maxThreads, and close() gives them back', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const reportPath = join(dir, 'reports.jsonl');
    const tracePath = join(dir, 'trace.jsonl');
    const args = ['--src', src, '--out', dir, '--builds', '3', '--max-threads', '3', '--report', reportPath, '--close'];
    const result = await run('node', [CLI, '-j', '4', '--style', style, '--', 'node', SCRIPT, ...args], {
      env: cleanEnv({ JOBSLOT_TRACE: tracePath }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/not returned/);
    const [r] = reports(reportPath);
    expect(r).toMatchObject({ threads: 3, slots: 3, activeSlots: 3, heldTokens: 2 });
    expect(r!.services).toEqual([{ pid: r!.servicePid, gomaxprocs: '3' }]);
    expect(analyzeTrace(readTrace(tracePath), 4).unreturned).toBe(0);

    // More threads wanted than -j2 has: it gets what there is.
    const reportPath2 = join(dir, 'reports2.jsonl');
    const small = await run('node', [CLI, '-j', '2', '--style', style, '--', 'node', SCRIPT, ...args.slice(0, 6), '--max-threads', '8', '--report', reportPath2], {
      env: cleanEnv(),
    });
    expect(small.code, small.stderr).toBe(0);
    expect(small.stderr).not.toMatch(/not returned/);
    const [r2] = reports(reportPath2);
    expect(r2).toMatchObject({ threads: 2, heldTokens: 1 });
    expect(r2!.services[0]!.gomaxprocs).toBe('2');
  });

  it('under `jobslot run --max 3`: the service uses the granted slots and takes no tokens of its own', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const reportPath = join(dir, 'reports.jsonl');
    const tracePath = join(dir, 'trace.jsonl');
    const result = await run(
      'node',
      [CLI, '-j', '4', '--style', style, '--', 'node', CLI, 'run', '--max', '3', '--', 'node', SCRIPT, '--src', src, '--out', dir, '--report', reportPath],
      { env: cleanEnv({ JOBSLOT_TRACE: tracePath }) },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/not returned/);
    const [r] = reports(reportPath);
    expect(r).toMatchObject({ threads: 3, slots: 3, heldTokens: 0, gomaxprocs: '3' });
    expect(r!.services[0]!.gomaxprocs).toBe('3');
    const events = readTrace(tracePath);
    expect(events.filter((e) => e.pid === r!.pid && e.ev === 'acquire')).toEqual([]);
    expect(analyzeTrace(events).unreturned).toBe(0);
  });

  it('esbuild already running when the plugin is created: a warning, no slots held, builds still work', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const reportPath = join(dir, 'reports.jsonl');
    const result = await run('node', [CLI, '-j', '4', '--style', style, '--', 'node', SCRIPT, '--src', src, '--out', dir, '--early', '--report', reportPath], {
      env: cleanEnv(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/jobslot: esbuild was already running/);
    const [r] = reports(reportPath);
    expect(r).toMatchObject({ threads: null, slots: 0, heldTokens: 0, activeSlots: 0 });
    expect(existsSync(join(dir, 'out0.js'))).toBe(true);
  });
});

it('without a jobserver: no warning, esbuild keeps its defaults', async () => {
  const dir = tempDir('jobslot-esbuild-');
  const reportPath = join(dir, 'reports.jsonl');
  const result = await run('node', [SCRIPT, '--src', src, '--out', dir, '--report', reportPath], { env: cleanEnv({ GOMAXPROCS: undefined }) });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  const [r] = reports(reportPath);
  expect(r!.threads).toBeNull();
  expect(r!.reason).toBeTruthy();
  expect(r!.services).toEqual([{ pid: expect.any(Number), gomaxprocs: null }]);
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
      scripts = processTree(child.pid!)
        .filter((p) => p.comm === 'node' && p.pid !== child.pid && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(SCRIPT))
        .map((p) => p.pid);
      services = processTree(child.pid!)
        .filter((p) => p.comm === 'esbuild')
        .map((p) => p.pid);
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

function tokensTakenBy(events: TraceEvent[], pids: number[]): number {
  return events.filter((e) => pids.includes(e.pid) && e.ev === 'acquire').length;
}

describe.each(available)('SIGINT mid-build, make $version ($style)', (make: MakeBin) => {
  // -j4 with two recipes: make takes one token for the second, so two stay
  // free for the scripts' services to take: the interrupt hits scripts holding tokens.
  const makefile = (dir: string) => ['all: a b', ...['a', 'b'].map((n) => `${n}:\n\t+@${script(join(dir, n), '--builds 2 --hang --max-threads 4')}`), ''].join('\n');

  it('the scripts interrupted, make -j4 goes on to exit with every token back', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    writeFileSync(join(dir, 'Makefile'), makefile(dir));
    const result = await interruptWhileBuilding(make.bin, ['-j4'], {
      cwd: dir,
      env: cleanEnv({ JOBSLOT_TRACE: tracePath }),
      building: 2,
      target: 'scripts',
    });
    expect(result.scripts).toHaveLength(2);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout + result.stderr).not.toMatch(/INTERNAL: Exiting with \d+ jobserver tokens?/);
    const events = readTrace(tracePath);
    expect(tokensTakenBy(events, result.scripts), 'the scripts held tokens when interrupted').toBeGreaterThan(0);
    expect(analyzeTrace(events, 4).unreturned).toBe(0);
    expect(result.services).toHaveLength(result.scripts.length);
    expect(await stillRunning(result.services), 'esbuild services left behind').toEqual([]);
  });

  it('under `jobslot -j 4`: the jobserver counts every token back', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    writeFileSync(join(dir, 'Makefile'), makefile(dir));
    // make without -j: it joins the jobserver `jobslot -j 4` runs.
    const result = await interruptWhileBuilding('node', [CLI, '-j', '4', '--style', make.style, '--', make.bin], {
      cwd: dir,
      env: cleanEnv({ JOBSLOT_TRACE: tracePath }),
      building: 2,
      target: 'scripts',
    });
    expect(result.scripts).toHaveLength(2);
    expect(result.stderr).not.toMatch(/not returned/);
    expect(result.code, result.stderr).toBe(2);
    const events = readTrace(tracePath);
    expect(tokensTakenBy(events, result.scripts)).toBeGreaterThan(0);
    expect(analyzeTrace(events, 4).unreturned).toBe(0);
    expect(result.services).toHaveLength(result.scripts.length);
    expect(await stillRunning(result.services), 'esbuild services left behind').toEqual([]);
  });

  it('Ctrl-C to the whole process group: the scripts give back every token they took', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    writeFileSync(join(dir, 'Makefile'), makefile(dir));
    const result = await interruptWhileBuilding(make.bin, ['-j4'], {
      cwd: dir,
      env: cleanEnv({ JOBSLOT_TRACE: tracePath }),
      building: 2,
      target: 'group',
    });
    expect(result.signal ?? result.code).toBeTruthy();
    const events = readTrace(tracePath);
    expect(tokensTakenBy(events, result.scripts)).toBeGreaterThan(0);
    // make itself does not write back its own jobs' tokens when it dies of a
    // signal; the trace covers what the scripts took.
    expect(analyzeTrace(events, 4).unreturned).toBe(0);
    expect(result.services).toHaveLength(result.scripts.length);
    expect(await stillRunning(result.services), 'esbuild services left behind').toEqual([]);
  });
});

describe.each(['fifo', 'pipe'] as const)('SIGINT mid-build, jobslot -j 3 --style %s', (style) => {
  it('Ctrl-C: the script dies of SIGINT and the jobserver counts every token back', async () => {
    const dir = tempDir('jobslot-esbuild-');
    const tracePath = join(dir, 'trace.jsonl');
    const result = await interruptWhileBuilding(
      'node',
      [CLI, '-j', '3', '--style', style, '--', 'node', SCRIPT, '--src', src, '--out', dir, '--builds', '2', '--hang', '--max-threads', '3'],
      { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: tracePath }), building: 1, target: 'group' },
    );
    expect(result.scripts).toHaveLength(1);
    expect(result.stderr).not.toMatch(/not returned/);
    expect(result.signal === 'SIGINT' || result.code === 130 || result.code === 1, `${result.code} ${result.signal}`).toBe(true);
    const events = readTrace(tracePath);
    expect(tokensTakenBy(events, result.scripts), 'own slot + 2 tokens').toBe(2);
    expect(analyzeTrace(events, 3).unreturned).toBe(0);
    expect(result.services).toHaveLength(result.scripts.length);
    expect(await stillRunning(result.services), 'esbuild services left behind').toEqual([]);
  });
});
