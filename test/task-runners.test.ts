// Monorepo task runners beneath jobslot: `jobslot run` and `jobslot -j` size
// their concurrency to the slots held (cli/task-runners.ts), and a jobslot
// client in a turbo task finds the pool although turbo's strict env mode
// dropped MAKEFLAGS and JOBSLOT_POOL (dropped-env.ts). Concurrency is counted
// from the tasks' own start/end logs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, peakFromLog, ROOT, run, runMake, sh, tempDir } from './support/index.js';

const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

const BIN = join(ROOT, 'node_modules/.bin');
const TURBO = join(BIN, 'turbo');
const MONOREPO = join(ROOT, 'test/fixtures/task-runners/monorepo.mjs');
const TASKS = 6;
const peak = (log: string) => (existsSync(log) ? peakFromLog(readFileSync(log, 'utf8')) : { peak: 0, jobs: 0 });
const reports = (out: string) =>
  out
    .split('\n')
    .map((l) => l.slice(l.indexOf('{')))
    .filter((l) => l.startsWith('{"report"'))
    .map((l) => JSON.parse(l) as { connected: boolean; style: string; warnings: string[] });

/** A turbo monorepo of 6 packages in a fresh directory, and the log its tasks write. */
async function monorepo(): Promise<{ dir: string; log: string; env: Record<string, string> }> {
  const dir = tempDir('jobslot-mono-');
  const log = join(dir, 'tasks.log');
  await run('node', [MONOREPO, dir, String(TASKS), log]);
  // turbo finds the package manager (pnpm, from the root's devDependencies) on PATH.
  return { dir, log, env: { PATH: `${BIN}:${process.env.PATH}`, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', TURBO_NO_UPDATE_NOTIFIER: '1' } };
}

const turboRun = (task: string) => `${TURBO} run ${task} --ui=stream --log-prefix=none`;

describe.skipIf(!existsSync(TURBO))('turbo beneath jobslot', () => {
  describe.each(available)('make $version -j2', (make) => {
    it('+jobslot run -- turbo run spin (6 plain shell tasks): at most 2 at once', async () => {
      const { dir, log, env } = await monorepo();
      const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${CLI} run -- ${turboRun('spin')}\n`, env, timeoutMs: 120_000 });
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(result.leakLine).toBeUndefined();
      const { peak: most, jobs } = peak(log);
      expect(jobs).toBe(TASKS);
      expect(most).toBeLessThanOrEqual(2);
    }, 120_000);

    it('control: +turbo run spin without jobslot runs more than 2 at once', async () => {
      const { dir, log, env } = await monorepo();
      const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@${turboRun('spin')}\n`, env, timeoutMs: 120_000 });
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(peak(log).peak).toBeGreaterThan(2);
    }, 120_000);

    it('+jobslot run -- turbo run work: the jobslot clients in strict-env tasks find the pool, at most 2 units at once', async () => {
      const { dir, log, env } = await monorepo();
      const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${CLI} run -- ${turboRun('work')}\n`, env, timeoutMs: 120_000 });
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(result.leakLine).toBeUndefined();
      const found = reports(result.stdout);
      expect(found).toHaveLength(TASKS);
      expect(found.every((r) => r.connected && r.warnings.length === 0)).toBe(true);
      const { peak: most, jobs } = peak(`${log}.work`);
      expect(jobs).toBe(TASKS * 3);
      expect(most).toBeLessThanOrEqual(2);
    }, 120_000);

    it('+turbo run work with no jobslot run between: each client says in one line that turbo dropped the jobserver, and how to fix it', async () => {
      const { dir, env } = await monorepo();
      const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@${turboRun('work')}\n`, env, timeoutMs: 120_000 });
      expect(result.code, result.stderr + result.stdout).toBe(0);
      const found = reports(result.stdout);
      expect(found).toHaveLength(TASKS);
      for (const r of found) {
        expect(r.connected).toBe(false);
        expect(r.warnings).toHaveLength(1);
        expect(r.warnings[0]).toMatch(/turbo's strict env mode dropped .*jobslot run.*globalPassThroughEnv/);
      }
    }, 120_000);
  });

  it('jobslot -j 2 -- turbo run spin (no make at all): at most 2 tasks at once', async () => {
    const { dir, log, env } = await monorepo();
    const result = await run('node', [CLI, '-j', '2', '--', 'sh', '-c', turboRun('spin')], { cwd: dir, env: cleanEnv(env), timeoutMs: 120_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stderr).not.toMatch(/not returned|more job tokens/);
    const { peak: most, jobs } = peak(log);
    expect(jobs).toBe(TASKS);
    expect(most).toBeLessThanOrEqual(2);
  }, 120_000);

  it('jobslot -j 2 -- turbo run work (no make at all): every task\'s tools within 2', async () => {
    const { dir, log, env } = await monorepo();
    const result = await run('node', [CLI, '-j', '2', '--', 'sh', '-c', turboRun('work')], { cwd: dir, env: cleanEnv(env), timeoutMs: 120_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stderr).not.toMatch(/not returned|more job tokens/);
    expect(reports(result.stdout).every((r) => r.connected)).toBe(true);
    const { peak: most, jobs } = peak(`${log}.work`);
    expect(jobs).toBe(TASKS * 3);
    expect(most).toBeLessThanOrEqual(2);
  }, 120_000);

  it('control: turbo run work alone runs more than 2 units at once', async () => {
    const { dir, log, env } = await monorepo();
    const result = await run('sh', ['-c', turboRun('work')], { cwd: dir, env: cleanEnv(env), timeoutMs: 120_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(peak(`${log}.work`).peak).toBeGreaterThan(2);
  }, 120_000);
});

describe('pnpm -r beneath jobslot run', () => {
  // pnpm's default is min(4, CPUs): 2 on a 2-core machine, so --max 1 shows the sizing.
  it.each(available)('make $version -j2, +jobslot run --max 1 -- pnpm -r run spin: one at a time (control without --max: 2)', async (make) => {
    const { dir, log, env } = await monorepo();
    const pnpm = `${join(BIN, 'pnpm')} -r --reporter=silent run spin`;
    const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${CLI} run --max 1 -- ${pnpm}\n`, env, timeoutMs: 120_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(peak(log)).toEqual({ peak: 1, jobs: TASKS });
    const control = await monorepo();
    const plain = await run('sh', ['-c', `cd ${sh(control.dir)} && ${pnpm}`], { env: cleanEnv(control.env) });
    expect(plain.code, plain.stderr).toBe(0);
    expect(peak(control.log).peak).toBe(2);
  }, 120_000);
});
