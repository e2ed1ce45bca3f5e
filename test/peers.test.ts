// jobslot among the real jobserver clients of a build: cargo, sub-makes, gcc's
// -flto=jobserver, beneath `jobslot run` (inside make -jN) and beneath
// `jobslot -j N`. Concurrency is counted by the jobs themselves: cargo build
// scripts and a gcc wrapper log each job's start and end.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, peakFromLog, ROOT, run, runMake, sh, tempDir, which } from './support/index.js';

const FIXTURES = join(ROOT, 'test/fixtures/peers');
const GEN = join(FIXTURES, 'gen.mjs');
const LTRANS_GCC = join(FIXTURES, 'ltrans-gcc.sh');
const { available } = makeBins();
const make43 = available.find((m) => m.style === 'pipe');

const cargo = which('cargo', [join(homedir(), '.cargo/bin/cargo')]);
const gcc = which('gcc');
const peak = (log: string) => (existsSync(log) ? peakFromLog(readFileSync(log, 'utf8')) : { peak: 0, jobs: 0 });

describe.skipIf(!cargo)('cargo beneath jobslot run', () => {
  let workspace: string;
  beforeAll(async () => {
    workspace = tempDir('jobslot-cargo-');
    await run('node', [GEN, 'cargo', workspace]);
  });

  describe.each(available)('make $version -j4', (make) => {
    it('cargo takes the sub-pool: at most 4 build scripts at once, at least 3 when alone', async () => {
      const dir = tempDir();
      const log = join(dir, 'jobs.log');
      const env = { JOB_LOG: log, CARGO_TARGET_DIR: join(dir, 'target'), PATH: `${dirname(cargo!)}:${process.env.PATH}` };
      const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@cd ${sh(workspace)} && node ${CLI} run -- cargo build --offline -q\n`, env, timeoutMs: 180_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.leakLine).toBeUndefined();
      const { peak: most, jobs } = peak(log);
      expect(jobs).toBe(8);
      expect(most).toBeLessThanOrEqual(4);
      expect(most).toBeGreaterThanOrEqual(3);
    }, 180_000);
  });
});

describe.skipIf(!gcc)('gcc -flto=jobserver beneath jobslot', () => {
  let objects: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    objects = tempDir('jobslot-lto-');
    await run('node', [GEN, 'lto', objects]);
    await run('sh', ['-c', `cd ${sh(objects)} && for f in *.c; do gcc -O2 -flto -c "$f" || exit 1; done`]);
    // So the real gcc finds its LTO plugin when run under the wrapper's name.
    const libgcc = execFileSync('gcc', ['-print-libgcc-file-name'], { encoding: 'utf8' }).trim();
    env = { GCC_EXEC_PREFIX: `${dirname(dirname(dirname(libgcc)))}/`, REAL_GCC: gcc! };
  }, 120_000);

  const link = (out: string) => `${LTRANS_GCC} -O2 -flto=jobserver --param lto-partitions=8 --param lto-min-partition=1 ${sh(objects)}/*.o -o ${sh(out)}`;

  it.skipIf(!make43)('make 4.3 -j2, jobslot run --max 1 beside another job: one ltrans at a time', async () => {
    const dir = tempDir();
    const log = join(dir, 'ltrans.log');
    const makefile = `all: prog other\nprog:\n\t+@node ${CLI} run --max 1 -- ${link(join(dir, 'prog'))}\nother:\n\t@sleep 2\n`;
    const result = await runMake({ make: make43!, dir, jobs: 2, makefile, env: { ...env, LTRANS_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/jobserver is not available/);
    expect(result.leakLine).toBeUndefined();
    expect(peak(log).jobs).toBeGreaterThanOrEqual(4);
    expect(peak(log).peak).toBe(1);
  });

  it('jobslot -j 3: gcc 12 reads the jobserver and runs at most 3 ltrans jobs, at least 2', async () => {
    const dir = tempDir();
    const log = join(dir, 'ltrans.log');
    const result = await run('node', [CLI, '-j', '3', '--', 'sh', '-c', link(join(dir, 'prog'))], { env: cleanEnv({ ...env, LTRANS_LOG: log }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/jobserver is not available|not returned/);
    const { peak: most, jobs } = peak(log);
    // gcc splits the link into several partitions (6 to 8, as it judges their size).
    expect(jobs).toBeGreaterThanOrEqual(4);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThanOrEqual(2);
  });

  it.each(available)('make $version -j3, jobslot run -- $(MAKE) with gcc beneath: at most 3 ltrans jobs', async (make) => {
    const dir = tempDir();
    const log = join(dir, 'ltrans.log');
    writeFileSync(join(dir, 'sub.mk'), `prog:\n\t+@${link(join(dir, 'prog'))}\n`);
    const result = await runMake({ make, dir, jobs: 3, makefile: `all:\n\t+@node ${CLI} run -- $(MAKE) -s -f sub.mk\n`, env: { ...env, LTRANS_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/jobserver is not available/);
    expect(result.leakLine).toBeUndefined();
    const { peak: most, jobs } = peak(log);
    // gcc splits the link into several partitions (6 to 8, as it judges their size).
    expect(jobs).toBeGreaterThanOrEqual(4);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThanOrEqual(2);
  });
});

/** A Makefile of 8 jobs that log their start and end and take 0.3 s each. */
function eightJobs(log: string): string {
  const names = 'abcdefgh'.split('');
  return `all: ${names.join(' ')}\n${names.join(' ')}:\n\t@echo start $@ $$(date +%s.%N) >> ${sh(log)}; sleep 0.3; echo end $@ $$(date +%s.%N) >> ${sh(log)}\n`;
}

describe('jobslot -j N serving make', () => {
  it.each(available)('make $version as it comes: at most N jobs, every token back', async (make) => {
    const dir = tempDir();
    const log = join(dir, 'jobs.log');
    writeFileSync(join(dir, 'Makefile'), eightJobs(log));
    const result = await run('node', [CLI, '-j', '3', '--', make.bin, '-s'], { cwd: dir, env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(peak(log)).toEqual({ peak: 3, jobs: 8 });
  });

  it('nested inside another: joins the outer pool and says so in one line', async () => {
    const dir = tempDir();
    const log = join(dir, 'jobs.log');
    writeFileSync(join(dir, 'Makefile'), eightJobs(log));
    const result = await run('node', [CLI, '-j', '3', '--', 'node', CLI, '-j', '8', '--', 'make', '-s'], { cwd: dir, env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/-j8 inside a jobserver \(-j3\): joining it/);
    expect(peak(log).peak).toBeLessThanOrEqual(3);
  });

  it('--style fifo with a space in TMPDIR: the path is escaped as make 4.4.1 does, and read back', async () => {
    const make44 = available.find((m) => m.style === 'fifo');
    if (!make44) return;
    const tmp = tempDir('jobslot sp ');
    const dir = tempDir();
    const log = join(dir, 'jobs.log');
    writeFileSync(join(dir, 'Makefile'), `${eightJobs(log)}flags:\n\t@echo "$$MAKEFLAGS"\n`);
    const flags = await run('node', [CLI, '-j', '2', '--style', 'fifo', '--', make44.bin, '-s', 'flags'], { cwd: dir, env: cleanEnv({ TMPDIR: tmp }) });
    expect(flags.stdout).toMatch(/--jobserver-auth=fifo:\S*jobslot\\ sp\\ /);
    const result = await run('node', [CLI, '-j', '2', '--style', 'fifo', '--', make44.bin, '-s'], { cwd: dir, env: cleanEnv({ TMPDIR: tmp }) });
    expect(result.code, result.stderr).toBe(0);
    expect(peak(log)).toEqual({ peak: 2, jobs: 8 });
  });

  it('-j beyond what a pipe holds: one line saying the limit, nothing left behind', async () => {
    const result = await run('node', [CLI, '-j', '70000', '--', 'true'], { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/at most 4096/);
  });

  it('tokens that come back twice: says so, as make does', async () => {
    const dir = tempDir();
    // Writes a token it never took into the pool.
    const result = await run('node', [CLI, '-j', '2', '--', 'sh', '-c', 'printf + >&4'], { cwd: dir, env: cleanEnv() });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/1 more job tokens came back than were given out/);
  });
});
