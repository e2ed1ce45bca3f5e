// `jobslot run`: inside make, serve the command a sub-pool of make's tokens in
// the standard protocol, size its thread pools, and give every token back
// when it exits. Concurrency is counted from per-task start/end logs
// (TASK_LOG), not only from jobslot's trace.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createJobserver } from '@jobslot/core/server';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, peakFromLog, ROOT, run, runMake, sh, tempDir } from './support/index.js';

const CHILD = join(ROOT, 'test/fixtures/core/run-child.mjs');
const HOLD_ON_HUP = join(ROOT, 'test/fixtures/core/hold-on-hup.mjs');
const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

interface ChildReport {
  GOMAXPROCS: string;
  ROLLDOWN_WORKER_THREADS: string;
  RAYON_NUM_THREADS: string;
  UV_THREADPOOL_SIZE: string | undefined;
  MAKEFLAGS: string;
  NODE_OPTIONS: string;
  connected: boolean;
  style: string;
  implicitSlot: boolean;
  heldAfter: number;
  maxRunning: number;
  warnings: string[];
}

const reports = (stdout: string): ChildReport[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const taskPeak = (log: string) => (existsSync(log) ? peakFromLog(readFileSync(log, 'utf8')) : { peak: 0, jobs: 0 });

describe.each(available)('jobslot run under make $version ($style)', (make) => {
  it('serves the free tokens to the command as a standard jobserver, and sizes its pools', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.jsonl');
    const log = join(dir, 'tasks.log');
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${CLI} run -- node ${CHILD} 8\n`, env: { JOBSLOT_TRACE: trace, TASK_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const [child] = reports(result.stdout);
    expect(child).toMatchObject({ GOMAXPROCS: '4', ROLLDOWN_WORKER_THREADS: '4', RAYON_NUM_THREADS: '4' });
    // libuv's pool does file I/O, not CPU work: never shrunk below node's 4.
    expect(child!.UV_THREADPOOL_SIZE).toBeUndefined();
    // V8's helpers: the slots less the one node's main thread holds.
    expect(child!.NODE_OPTIONS).toContain('--v8-pool-size=3');
    // The pool is handed down in the style make itself hands down (cli/style.ts):
    // descriptors under make 4.3, a fifo of ours under make 4.4; never a /proc path.
    // (At -j4, `node CHILD` runs in a node of its own, where they land on 3 and 4;
    // in jobslot run's own process, from -j5 with node's 4 V8 helpers, they stay
    // where they are: jobslot-run-in-process.test.ts.)
    expect(child!.MAKEFLAGS).toMatch(make.style === 'pipe' ? /^ -j4 --jobserver-auth=\d+,\d+(?: -- .*)?$/ : /^ -j4 --jobserver-auth=fifo:\/\S*jobslot-\w+\/fifo(?: -- .*)?$/);
    expect(child!.connected).toBe(true);
    // All four slots in use (at least three: on a loaded machine the command may
    // start after its first tokens went back, and take them again one by one).
    expect(child!.maxRunning).toBeGreaterThanOrEqual(3);
    expect(child!.heldAfter).toBe(0);
    expect(child!.warnings).toEqual([]);
    expect(taskPeak(log).peak).toBeLessThanOrEqual(4);
    expect(taskPeak(log).peak).toBeGreaterThanOrEqual(3);
    const report = analyzeTrace(readTrace(trace), 4);
    expect(report.peak).toBeLessThanOrEqual(4);
    expect(report.unreturned).toBe(0);
  });

  it('--max caps the sub-pool, the implicit slot included', async () => {
    const dir = tempDir();
    const log = join(dir, 'tasks.log');
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${CLI} run --max 2 -- node ${CHILD} 6\n`, env: { TASK_LOG: log } });
    expect(result.leakLine).toBeUndefined();
    const [child] = reports(result.stdout);
    expect(child).toMatchObject({ GOMAXPROCS: '2', maxRunning: 2 });
    expect(taskPeak(log).peak).toBe(2);
  });

  it('three runs in parallel share -j3: never more than 3 tasks at once in all', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.jsonl');
    const log = join(dir, 'tasks.log');
    const recipe = `\t+@node ${CLI} run -- node ${CHILD} 6`;
    const result = await runMake({ make, dir, jobs: 3, makefile: `all: a b c\na:\n${recipe}\nb:\n${recipe}\nc:\n${recipe}\n`, env: { JOBSLOT_TRACE: trace, TASK_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(reports(result.stdout)).toHaveLength(3);
    expect(taskPeak(log)).toMatchObject({ jobs: 18 });
    expect(taskPeak(log).peak).toBeLessThanOrEqual(3);
    const report = analyzeTrace(readTrace(trace), 3);
    expect(report.peak).toBeLessThanOrEqual(3);
    expect(report.unreturned).toBe(0);
  });

  it('through sh and npm run, the grandchild still reaches the pool (by JOBSLOT_POOL)', async () => {
    const dir = tempDir();
    const log = join(dir, 'tasks.log');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, scripts: { child: `node ${CHILD} 6` } }));
    const result = await runMake({ make, dir, jobs: 3, makefile: `all:\n\t+@node ${CLI} run -- sh -c 'npm run --silent child'\n`, env: { TASK_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const [child] = reports(result.stdout);
    expect(child).toMatchObject({ connected: true, style: 'fifo', warnings: [] });
    expect(child!.maxRunning).toBeGreaterThanOrEqual(2);
    expect(taskPeak(log).peak).toBeLessThanOrEqual(3);
    expect(taskPeak(log).peak).toBeGreaterThanOrEqual(2);
  });

  it('siblings started by a runner that is not a jobserver client share one implicit slot: never more than N', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.jsonl');
    const log = join(dir, 'tasks.log');
    // One recipe runs four builds at once, as turbo would: only one may use the
    // recipe's implicit slot, the others must hold tokens.
    const four = Array.from({ length: 4 }, () => `node ${CHILD} 12`).join(' & ');
    const result = await runMake({
      make,
      dir,
      jobs: 3,
      makefile: `all:\n\t+@node ${CLI} run -- sh -c '${four} & wait'\n`,
      env: { JOBSLOT_TRACE: trace, TASK_LOG: log },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const children = reports(result.stdout);
    expect(children).toHaveLength(4);
    expect(children.some((c) => c.implicitSlot)).toBe(true);
    expect(children.some((c) => !c.implicitSlot)).toBe(true);
    for (const c of children) expect(c.heldAfter).toBe(0);
    expect(taskPeak(log)).toMatchObject({ jobs: 48 });
    expect(taskPeak(log).peak).toBeLessThanOrEqual(3);
    expect(analyzeTrace(readTrace(trace), 3).unreturned).toBe(0);
  });

  it('--max 1 over siblings: one slot in all, handed on as owners exit', async () => {
    const dir = tempDir();
    const log = join(dir, 'tasks.log');
    const three = Array.from({ length: 3 }, () => `node ${CHILD} 4`).join(' & ');
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${CLI} run --max 1 -- sh -c '${three} & wait'\n`, env: { TASK_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(reports(result.stdout)).toHaveLength(3);
    expect(taskPeak(log)).toEqual({ peak: 1, jobs: 12 });
  });

  it('nested jobslot runs as siblings: the ones without the implicit slot wait for a token', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.jsonl');
    const log = join(dir, 'tasks.log');
    const inner = `node ${CLI} run -- node ${CHILD} 4`;
    const result = await runMake({
      make,
      dir,
      jobs: 2,
      makefile: `all:\n\t+@node ${CLI} run -- sh -c '${inner} & ${inner} & ${inner} & wait'\n`,
      env: { JOBSLOT_TRACE: trace, TASK_LOG: log },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(reports(result.stdout)).toHaveLength(3);
    expect(taskPeak(log)).toMatchObject({ jobs: 12 });
    expect(taskPeak(log).peak).toBeLessThanOrEqual(2);
    expect(analyzeTrace(readTrace(trace), 2).unreturned).toBe(0);
  });

  it('a sub-make beneath it runs N jobs at once, and no more', async () => {
    const dir = tempDir();
    const log = join(dir, 'jobs.log');
    const sub = ['all: ' + 'abcdefgh'.split('').join(' '), `${'abcdefgh'.split('').join(' ')}:`, `\t@echo start $@ $$(date +%s.%N) >> ${log}; sleep 0.4; echo end $@ $$(date +%s.%N) >> ${log}`].join('\n');
    writeFileSync(join(dir, 'sub.mk'), `${sub}\n`);
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${CLI} run -- $(MAKE) -s -f sub.mk\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/jobserver|warning/i);
    expect(result.leakLine).toBeUndefined();
    const { peak, jobs } = taskPeak(log);
    expect(jobs).toBe(8);
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThanOrEqual(3);
  });

  it('a native tool keeps the slots its threads were sized to: beside a sub-make, never more than N at once', async () => {
    // make -j3: jobslot run takes the free token as the tool starts and sets GOMAXPROCS to 2.
    // The tool's two threads never take a token from the sub-pool, as Go's or rayon's do not;
    // the sub-pool must keep that token while they run, not give it back as idle, or the
    // sub-make beside it starts a second job and 4 run at once.
    const dir = tempDir();
    const log = join(dir, 'jobs.log');
    const ready = join(dir, 'ready');
    const names = 'abcdefghij'.split('');
    const sub = [`all: ${names.join(' ')}`, `${names.join(' ')}:`, `\t@echo start $@ $$(date +%s.%N) >> ${log}; sleep 0.3; echo end $@ $$(date +%s.%N) >> ${log}`].join('\n');
    writeFileSync(join(dir, 'sub.mk'), `${sub}\n`);
    const makefile = [
      'all: native jobs',
      'native:',
      `\t+@node ${CLI} run -- node ${join(ROOT, 'test/fixtures/core/native-threads.mjs')} ${log} ${ready} 3000`,
      'jobs:',
      // Waits for the tool to say its threads run (a fixture's ready file, not a fixed sleep).
      `\t+@while [ ! -f ${ready} ]; do sleep 0.02; done; $(MAKE) -s -f sub.mk`,
      '.PHONY: all native jobs',
    ].join('\n');
    const result = await runMake({ make, dir, jobs: 3, makefile: `${makefile}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(readFileSync(ready, 'utf8').trim()).toBe('2');
    const { peak, jobs } = taskPeak(log);
    expect(jobs).toBe(2 + names.length);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('a command that dies of a signal: jobslot run dies of it too, and make says so', async () => {
    const dir = tempDir();
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${CLI} run -- sh -c 'kill -TERM $$$$'\n` });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Terminated/);
    expect(result.leakLine).toBeUndefined();
  });
});

describe('jobslot run, the command ending by a signal', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)('%s: jobslot run dies of the same signal', async (signal) => {
    const result = await run('node', [CLI, '-j', '3', '--', 'node', CLI, 'run', '--', 'sh', '-c', `kill -${signal.slice(3)} $$`], { env: cleanEnv() });
    expect(result.signal).toBe(signal);
  });

  it('a signal to jobslot run goes to the command first; its tokens stay out until it has ended', async () => {
    const dir = tempDir();
    const stop = join(dir, 'stop');
    const server = createJobserver({ jobs: 4, style: 'fifo' });
    const child = spawn('node', [CLI, 'run', '--', 'node', HOLD_ON_HUP, '3', stop], { env: server.env(cleanEnv()), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const until = async (what: () => boolean, label: string) => {
      for (let i = 0; i < 1000 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
      if (!what()) throw new Error(`never ${label}: ${stdout}`);
    };
    try {
      await until(() => stdout.includes('holding 3'), 'held 3');
      expect(server.free()).toBe(0);
      child.kill('SIGHUP');
      await until(() => stdout.includes('got SIGHUP'), 'passed SIGHUP on');
      // Still working on them: not one token back in make's pool.
      expect(server.free()).toBe(0);
      writeFileSync(stop, '');
      expect(await exited).toBe(0);
      expect(server.close()).toMatchObject({ returned: 3, lost: 0, extra: 0 });
    } finally {
      child.kill('SIGKILL');
      server.close();
    }
  });
});

describe('jobslot run without a jobserver above', () => {
  it('outside make: --max sizes the pools, one line says there is no jobserver', async () => {
    const result = await run('node', [CLI, 'run', '--max', '2', '--', 'sh', '-c', 'echo "$GOMAXPROCS|$UV_THREADPOOL_SIZE|$MAKEFLAGS"'], { env: cleanEnv() });
    expect(result.code).toBe(0);
    // Its own jobserver of 2 for the command, which make or cargo beneath would use.
    expect(result.stdout.trim()).toBe('2|| -j2 --jobserver-auth=3,4');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/no MAKEFLAGS.*gets 2 slots \(--max\)/);
  });

  it('outside make without --max: the CPU count', async () => {
    const result = await run('node', [CLI, 'run', '--', 'sh', '-c', 'echo "$GOMAXPROCS"'], { env: cleanEnv() });
    expect(result.stdout.trim()).toBe(String(availableParallelism()));
    expect(result.stderr).toMatch(/the CPU count/);
  });

  it('under make -j with no number (no jobserver): the CPU count', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'Makefile'), `all:\n\t+@node ${CLI} run -- sh -c 'echo "$$GOMAXPROCS"'\n`);
    const result = await run('make', ['-j', '-s'], { cwd: dir, env: cleanEnv() });
    expect(result.stdout.trim()).toBe(String(availableParallelism()));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('JOBSLOT_POOL and JOBSLOT_GRANT from a hostile or stale environment', () => {
  it('a JOBSLOT_POOL naming a fifo nobody above serves is not read', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'fifo');
    await run('mkfifo', [fifo]);
    const make43 = available.find((m) => m.style === 'pipe');
    if (!make43) return;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, scripts: { child: `node ${CHILD} 2` } }));
    const result = await runMake({ make: make43, dir, jobs: 3, makefile: `all:\n\t+@sh -c 'npm run --silent child'\n`, env: { JOBSLOT_POOL: `${process.pid}:${fifo}` } });
    const [child] = reports(result.stdout);
    expect(child!.connected).toBe(false);
    expect(child!.warnings).toHaveLength(1);
  });

  it('JOBSLOT_GRANT naming a file of the user\'s: the file is left alone', async () => {
    const dir = tempDir();
    const file = join(dir, 'precious');
    writeFileSync(file, 'keep me');
    const result = await runMake({ make: available[0]!, dir, jobs: 2, makefile: `all:\n\t+@node ${CLI} run -- node ${CHILD} 4\n`, env: { JOBSLOT_GRANT: `1000:1:${file}` } });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(reports(result.stdout)[0]!.maxRunning).toBeLessThanOrEqual(2);
  });
});
