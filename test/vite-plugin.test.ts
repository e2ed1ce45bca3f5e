// @jobslot/vite-plugin end to end: real vite 8 (rolldown) and vite 7 (rollup)
// builds of a small app with a deliberately CPU-heavy transform plugin, under
// real GNU make 4.3 (pipe) and 4.4.1 (fifo), four builds at once, each through
// `jobslot run`. Checks: slots never above N (trace), the heavy transform never
// runs more than its slots at once (its own log), every token back at the end
// (make's own check and the trace), output byte-identical to a build without
// the plugin, and the failure paths: a throwing transform and SIGINT.
import { availableParallelism } from 'node:os';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { beforeAll, describe, expect, it, vi } from 'vitest';
// @ts-expect-error a plain JS fixture, shared with the benchmark
import { writeApp } from './fixtures/vite-plugin/app.mjs';
import { CLI, cleanEnv, fileTree, makeBins, type MakeBin, ROOT, run, runMake, sh, tempDir } from './support/index.js';

const FIXTURE = join(ROOT, 'test/fixtures/vite-plugin');
const BUILD = join(FIXTURE, 'build.mjs');
const PLUGIN_DIR = join(ROOT, 'packages/vite-plugin');
const VITES = ['vite', 'vite7'] as const;
type Vite = (typeof VITES)[number];
const MAJOR: Record<Vite, string> = { vite: '8.', vite7: '7.' };
const MODULES = 40;
const BUILDS = ['b1', 'b2', 'b3', 'b4'];
const LEAK = /INTERNAL: Exiting with \d+ jobserver tokens?.*/;

// Generous bounds: a loaded 2-core machine can take several seconds per make run.
// (Project configs do not inherit the root config's testTimeout.)
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const { available, skipped } = makeBins();
for (const why of skipped) console.warn(`skipped: ${why}`);

let app: string;
/** The output of a build without the plugin and without a jobserver, per vite. */
const reference = new Map<Vite, Map<string, string>>();

interface BuildReport {
  vite: string;
  terserMaxWorkers: number | null;
  preprocessorMaxWorkers: number | true | null;
  ROLLDOWN_WORKER_THREADS: string | null;
  GOMAXPROCS: string | null;
  /** `plugin.hook` for every hook jobslot governed */
  governed: string[];
  /** the heavy transform's filter, after any wrapping */
  heavyFilter: string;
}

const HEAVY_FILTER = String(/\/m\d+\.js$/);

function reports(stdout: string): BuildReport[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as BuildReport);
}

interface HeavyEvent {
  pid: number;
  t: number;
  ev: 'start' | 'end';
  inflight: number;
}

/** The heavy transform's concurrency: across all processes over time, and per process. */
function heavyConcurrency(file: string): { global: number; perPid: Map<number, number>; calls: number } {
  const events = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as HeavyEvent)
    .sort((a, b) => a.t - b.t);
  let now = 0;
  let global = 0;
  const perPid = new Map<number, number>();
  for (const e of events) {
    now += e.ev === 'start' ? 1 : -1;
    global = Math.max(global, now);
    perPid.set(e.pid, Math.max(perPid.get(e.pid) ?? 0, e.inflight));
  }
  return { global, perPid, calls: events.filter((e) => e.ev === 'start').length };
}

function buildMakefile(options: { vite: Vite; out: string; targets: string[]; viaRun: boolean }): string {
  const build = `node ${sh(BUILD)} --vite ${options.vite} --root ${sh(app)}`;
  const prefix = options.viaRun ? `node ${sh(CLI)} run -- ` : '';
  return [
    `all: ${options.targets.join(' ')}`,
    `${options.targets.join(' ')}:`,
    // `+`: make 4.3 passes its pipe only to recipes it knows run make-aware tools.
    `\t+${prefix}${build} --out ${sh(options.out)}/$@`,
    '',
  ].join('\n');
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build @jobslot/core first (npx turbo run build)`);
  if (!existsSync(join(PLUGIN_DIR, 'dist/index.js'))) {
    const built = await run('npx', ['tsup'], { cwd: PLUGIN_DIR });
    expect(built.code, built.stderr).toBe(0);
  }
  app = writeApp(tempDir('jobslot-vite-app-'), { modules: MODULES }) as string;
  for (const vite of VITES) {
    const out = join(tempDir('jobslot-vite-ref-'), 'out');
    const r = await run('node', [BUILD, '--vite', vite, '--root', app, '--out', out, '--plain'], { env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(reports(r.stdout)[0]!.vite.startsWith(MAJOR[vite])).toBe(true);
    reference.set(vite, fileTree(out));
  }
});

describe.each(VITES)('%s', (vite) => {
  it('the reference build really runs the heavy transform', () => {
    const files = [...reference.get(vite)!.entries()];
    const js = files.find(([name]) => name.endsWith('.js'))![1];
    expect(js.match(/heavy value/g)?.length).toBe(MODULES);
  });

  it('without a jobserver nothing changes: same output, pools and concurrency untouched', async () => {
    const dir = tempDir();
    const log = join(dir, 'heavy.jsonl');
    const r = await run('node', [BUILD, '--vite', vite, '--root', app, '--out', join(dir, 'out')], {
      env: cleanEnv({ HEAVY_LOG: log }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/jobslot/);
    expect(reports(r.stdout)[0]).toMatchObject({ terserMaxWorkers: null, preprocessorMaxWorkers: true, governed: [] });
    expect(fileTree(join(dir, 'out'))).toEqual(reference.get(vite));
    // Unthrottled, vite calls the transform for many modules at once.
    expect(heavyConcurrency(log).global).toBeGreaterThan(4);
  });

  it('under `jobslot -j2`: same output as without the plugin, transform at most 2 at once', async () => {
    const dir = tempDir();
    const log = join(dir, 'heavy.jsonl');
    const tracePath = join(dir, 'trace.jsonl');
    const r = await run('node', [CLI, '-j2', '--', 'node', BUILD, '--vite', vite, '--root', app, '--out', join(dir, 'out')], {
      env: cleanEnv({ HEAVY_LOG: log, JOBSLOT_TRACE: tracePath }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/not returned/);
    expect(fileTree(join(dir, 'out'))).toEqual(reference.get(vite));
    const heavy = heavyConcurrency(log);
    expect(heavy.calls).toBe(MODULES);
    expect(heavy.global).toBeLessThanOrEqual(2);
    const report = analyzeTrace(readTrace(tracePath), 2);
    expect(report.peak).toBeLessThanOrEqual(2);
    expect(report.unreturned).toBe(0);
  });

  it('a transform that awaits this.load() of a queued module does not deadlock with one slot', async () => {
    // -j2 and two builds: each has only its implicit slot, no token is free.
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    const log = join(dir, 'heavy.jsonl');
    const result = await runMake({
      make: available[0]!,
      dir,
      jobs: 2,
      makefile: buildMakefile({ vite, out: join(dir, 'out'), targets: ['b1', 'b2'], viaRun: false }),
      env: { JOBSLOT_TRACE: tracePath, HEAVY_LOG: log, HEAVY_LOAD_NEXT: '1' },
      timeoutMs: 45_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    for (const b of ['b1', 'b2']) expect(fileTree(join(dir, 'out', b))).toEqual(reference.get(vite));
    expect(heavyConcurrency(log).global).toBeLessThanOrEqual(2);
    const report = analyzeTrace(readTrace(tracePath), 2);
    expect(report.peak).toBeLessThanOrEqual(2);
    expect(report.unreturned).toBe(0);
  });

  it('a builder with two environments (client, ssr): both governed, nothing held as each closes', async () => {
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    const log = join(dir, 'heavy.jsonl');
    const r = await run('node', [CLI, '-j3', '--', 'node', join(FIXTURE, 'build-envs.mjs'), '--vite', vite, '--root', app, '--out', join(dir, 'out')], {
      env: cleanEnv({ JOBSLOT_TRACE: tracePath, HEAVY_LOG: log }),
    });
    expect(r.code, r.stderr).toBe(0);
    const { closed } = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(closed).toEqual({ client: { active: 0, held: 0 }, ssr: { active: 0, held: 0 } });
    const heavy = heavyConcurrency(log);
    expect(heavy.calls).toBe(2 * MODULES);
    expect(heavy.global).toBeLessThanOrEqual(3);
    const report = analyzeTrace(readTrace(tracePath), 3);
    expect(report.peak).toBeLessThanOrEqual(3);
    expect(report.unreturned).toBe(0);
  });

  it('the dev server governs transforms too, and holds nothing once idle', async () => {
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    const log = join(dir, 'heavy.jsonl');
    const r = await run('node', [CLI, '-j3', '--', 'node', join(FIXTURE, 'serve.mjs'), '--vite', vite, '--root', app], {
      env: cleanEnv({ JOBSLOT_TRACE: tracePath, HEAVY_LOG: log }),
    });
    expect(r.code, r.stderr).toBe(0);
    const idle = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(idle).toMatchObject({ transformed: MODULES, held: 0, active: 0, pending: 0 });
    expect(idle.vite.startsWith(MAJOR[vite])).toBe(true);
    expect(heavyConcurrency(log).global).toBeLessThanOrEqual(3);
    const report = analyzeTrace(readTrace(tracePath), 3);
    // It did take tokens while it worked (else "holds nothing" proves nothing).
    expect([...report.perProcess.values()].some((p) => p.acquired > 0)).toBe(true);
    expect(report.unreturned).toBe(0);
  });
});

describe.each(available)('make $version ($style)', (make: MakeBin) => {
  describe.each([2, 4])('-j%i, four builds through `jobslot run`', (jobs) => {
    it.each(VITES)('%s: slots never above N, transform within its slots, every token back, same output', async (vite) => {
      const dir = tempDir();
      const tracePath = join(dir, 'trace.jsonl');
      const log = join(dir, 'heavy.jsonl');
      const out = join(dir, 'out');
      const result = await runMake({
        make,
        dir,
        jobs,
        makefile: buildMakefile({ vite, out, targets: BUILDS, viaRun: true }),
        env: { JOBSLOT_TRACE: tracePath, HEAVY_LOG: log },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.leakLine).toBeUndefined();

      const builds = reports(result.stdout);
      expect(builds).toHaveLength(BUILDS.length);
      for (const b of builds) {
        expect(b.vite.startsWith(MAJOR[vite])).toBe(true);
        // `jobslot run` sized the native threads to its slots before node
        // started; the plugin sized vite's worker pools to the same slots.
        const slots = Number(b.ROLLDOWN_WORKER_THREADS);
        expect(slots).toBeGreaterThanOrEqual(1);
        expect(slots).toBeLessThanOrEqual(jobs);
        expect(b.GOMAXPROCS).toBe(String(slots));
        // ...but never above vite's own default (availableParallelism() - 1).
        const pool = Math.min(slots, Math.max(1, availableParallelism() - 1));
        expect(b.terserMaxWorkers).toBe(pool);
        expect(b.preprocessorMaxWorkers).toBe(pool);
        // The heavy hook is governed and kept its filter; rolldown's builtin: plugins are not touched.
        expect(b.governed).toContain('heavy.transform');
        expect(b.governed.filter((h) => h.startsWith('builtin:'))).toEqual([]);
        expect(b.heavyFilter).toBe(HEAVY_FILTER);
      }
      for (const b of BUILDS) expect(fileTree(join(out, b)), b).toEqual(reference.get(vite));

      // Each `jobslot run` counts its slots until its build claims them (the
      // trace's 'grant' event), then the build's limiter counts them.
      const used = analyzeTrace(readTrace(tracePath), jobs);
      expect(used.unreturned).toBe(0);
      expect(used.peak).toBeGreaterThanOrEqual(1);
      expect(used.peak).toBeLessThanOrEqual(jobs);

      const heavy = heavyConcurrency(log);
      expect(heavy.calls).toBe(MODULES * BUILDS.length);
      expect(heavy.global).toBeLessThanOrEqual(jobs);
      for (const [pid, inflight] of heavy.perPid) {
        const slots = used.perProcess.get(pid);
        expect(slots, `no slot events from build ${pid}`).toBeDefined();
        expect(inflight).toBeLessThanOrEqual(slots!.peak);
      }
    });
  });
});

describe('the README\'s Makefile line: `+jobslot run -- vite build`', () => {
  it.each(available.map((m) => [m.version, m] as const))('make %s -j2: vite 8 and vite 7 command lines, every token back, same output', async (_v, make) => {
    // The bins as a project has them: pnpm's shell shims exec node, so make
    // 4.3's pipe reaches `jobslot run`, which hands it on by path.
    const bin = join(PLUGIN_DIR, 'node_modules/.bin');
    const config = `--config ${sh(join(FIXTURE, 'vite.config.mjs'))} --configLoader native`;
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    const log = join(dir, 'heavy.jsonl');
    const out = join(dir, 'out');
    const makefile = [
      'all: vite vite7',
      `vite:\n\t+${sh(join(bin, 'jobslot'))} run -- ${sh(join(bin, 'vite'))} build ${sh(app)} ${config} --outDir ${sh(out)}/$@`,
      `vite7:\n\t+${sh(join(bin, 'jobslot'))} run -- node ${sh(join(PLUGIN_DIR, 'node_modules/vite7/bin/vite.js'))} build ${sh(app)} ${config} --outDir ${sh(out)}/$@`,
      '',
    ].join('\n');
    const result = await runMake({ make, dir, jobs: 2, makefile, env: { JOBSLOT_TRACE: tracePath, HEAVY_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    // `jobslot run` sized the native threads, so the plugin has nothing to warn about.
    expect(result.stderr).not.toMatch(/native threads/);
    for (const vite of VITES) expect(fileTree(join(out, vite)), vite).toEqual(reference.get(vite));
    const heavy = heavyConcurrency(log);
    expect(heavy.calls).toBe(2 * MODULES);
    expect(heavy.global).toBeLessThanOrEqual(2);
    const report = analyzeTrace(readTrace(tracePath), 2);
    expect(report.unreturned).toBe(0);
    expect(report.peak).toBeLessThanOrEqual(2);
  });
});

describe('failures give every token back', () => {
  const make = available[0]!;

  it.each(VITES)('%s: a transform that throws', async (vite) => {
    // -j4 with two builds: two tokens are free, so the builds hold tokens of
    // their own (no `jobslot run` in between) when the transform throws.
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    const result = await runMake({
      make,
      dir,
      jobs: 4,
      makefile: buildMakefile({ vite, out: join(dir, 'out'), targets: ['b1', 'b2'], viaRun: false }),
      env: { JOBSLOT_TRACE: tracePath, HEAVY_THROW: 'm030', HEAVY_MS: '20' },
    });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/heavy: refusing to transform .*m030\.js/);
    expect(result.leakLine).toBeUndefined();
    const report = analyzeTrace(readTrace(tracePath), 4);
    expect([...report.perProcess.values()].reduce((n, p) => n + p.acquired, 0)).toBeGreaterThan(0);
    expect(report.unreturned).toBe(0);
    expect(report.peak).toBeLessThanOrEqual(4);
  });

  it.each(VITES)('%s: SIGINT to the builds mid-build', async (vite) => {
    const dir = tempDir();
    const tracePath = join(dir, 'trace.jsonl');
    // make is started by hand, not by runMake(): the test signals the builds while it runs.
    writeFileSync(join(dir, 'Makefile'), buildMakefile({ vite, out: join(dir, 'out'), targets: ['b1', 'b2'], viaRun: false }));
    const child = spawn(make.bin, ['-j4'], {
      cwd: dir,
      env: cleanEnv({ JOBSLOT_TRACE: tracePath, HEAVY_MS: '40' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    // Wait until a build holds tokens of its own, then interrupt every build.
    let signalled: number[] = [];
    const deadline = Date.now() + 30_000;
    while (signalled.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      if (!existsSync(tracePath)) continue;
      const events = readTrace(tracePath);
      if (!events.some((e) => e.ev === 'acquire')) continue;
      signalled = [...new Set(events.filter((e) => e.ev === 'connect').map((e) => e.pid))];
      for (const pid of signalled) process.kill(pid, 'SIGINT');
    }
    expect(signalled.length).toBeGreaterThan(0);
    const code = await closed;
    expect(code).not.toBe(0);
    // make saw its recipes die of the signal, not exit normally...
    expect(output).toMatch(/Interrupt/);
    // ...and got every token back.
    expect(LEAK.exec(output)?.[0]).toBeUndefined();
    const report = analyzeTrace(readTrace(tracePath), 4);
    expect([...report.perProcess.values()].reduce((n, p) => n + p.acquired, 0)).toBeGreaterThan(0);
    expect(report.unreturned).toBe(0);
    expect(report.peak).toBeLessThanOrEqual(4);
  });
});
