// `jobslot serve`: one jobserver for every build a user starts. Each test
// runs its own daemon with XDG_RUNTIME_DIR in a scratch directory, and counts
// concurrency from the jobs' own start/end logs, not from jobslot's word.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, NOT_THIS_VITEST, peakFromLog, ROOT, run, simulatedCores, tempDir, workerTestFile } from './support/index.js';

const HOLD = join(ROOT, 'test/fixtures/core/hold.mjs');
const GEN = join(ROOT, 'test/fixtures/peers/gen.mjs');
const VITEST = join(ROOT, 'test/node_modules/.bin/vitest');
const VITE_PLUGIN = join(ROOT, 'packages/vite-plugin/dist/index.js');
const cargo = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v cargo'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return existsSync(join(homedir(), '.cargo/bin/cargo')) ? join(homedir(), '.cargo/bin/cargo') : undefined;
  }
})();
const systemMake = makeBins().available.find((m) => m.bin === 'make');
const MAKE44 = process.env.JOBSLOT_MAKE44 ?? join(ROOT, '.tools/make-4.4.1/bin/make');

/** A makefile of `count` jobs of `seconds` each, logging "start|end <job> <time>" to LOG. */
function jobsMakefile(dir: string, name: string, count: number, seconds: number): string {
  const names = Array.from({ length: count }, (_, i) => `j${i}`);
  const file = join(dir, name);
  writeFileSync(file, `all: ${names.join(' ')}\n${names.join(' ')}:\n\t@echo start $@ $$(date +%s.%N) >> $(LOG); sleep ${seconds}; echo end $@ $$(date +%s.%N) >> $(LOG)\n`);
  return file;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A scratch XDG_RUNTIME_DIR (0700, as systemd makes it) and the environment of a shell with no make variables. */
function scratch() {
  const xdg = tempDir('jobslot-xdg-');
  // As a user's shell: no NODE_PATH either (vitest's own, which lets Node find
  // modules by other ways than the ones a real install offers).
  const env = cleanEnv({ XDG_RUNTIME_DIR: xdg, NODE_PATH: undefined });
  return { xdg, env, endpoint: join(xdg, 'jobslot') };
}

function jobslot(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000) {
  return run(process.execPath, [CLI, ...args], { env, timeoutMs });
}

/** Starts `jobslot serve ARGS` and waits until `jobslot env` says it is up. */
async function startDaemon(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const envOut = await jobslot(['env'], env);
    if (envOut.code === 0) return { child, exited, stderr: () => stderr, envLines: envOut.stdout };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`jobslot serve did not come up: ${stderr}${envOut.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(env: NodeJS.ProcessEnv): Promise<string> {
  const out = await jobslot(['status'], env);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout;
}

const freeTokens = (text: string) => Number(/tokens: (\d+) free/.exec(text)?.[1]);

/** Polls `jobslot status` until `done` holds; returns the text and the time it took. */
async function statusUntil(env: NodeJS.ProcessEnv, done: (text: string) => boolean, timeoutMs = 10_000) {
  const start = Date.now();
  for (;;) {
    const text = await status(env);
    if (done(text)) return { text, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`status never got there:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A shell that ran eval "$(jobslot env)": `env` with those lines applied. */
function evalEnv(env: NodeJS.ProcessEnv, lines: string): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const m of lines.matchAll(/^export (\w+)='((?:[^']|'\\'')*)'$/gm)) out[m[1]!] = m[2]!.replace(/'\\''/g, "'");
  return out;
}

/** Three `jobslot run -- make -f x.mk` at once (6 jobs of 0.5 s, make given no -j): the peak across them and the jobs run. */
async function threeBuilds(env: NodeJS.ProcessEnv, dir: string) {
  const makefile = jobsMakefile(dir, 'x.mk', 6, 0.5);
  const logs = [0, 1, 2].map((i) => join(dir, `x${i}.log`));
  const results = await Promise.all(logs.map((log) => jobslot(['run', '--', 'make', '-s', '-f', makefile, `LOG=${log}`], env)));
  for (const r of results) expect(r.code, r.stderr).toBe(0);
  return { ...peakFromLog(logs.map((log) => readFileSync(log, 'utf8')).join('\n')), results };
}

describe('jobslot serve', () => {
  it('three jobslot run -- make from shells without make variables share -j 3, and every token comes back', async () => {
    const { env, xdg } = scratch();
    const daemon = await startDaemon(['-j', '3'], env);
    const { peak, jobs, results } = await threeBuilds(env, xdg);
    expect(jobs).toBe(18);
    expect(peak).toBe(3);
    // make 4.3 beneath was served a pipe sub-pool (no "invalid --jobserver-auth"), and nothing went missing.
    for (const r of results) expect(r.stderr).not.toMatch(/invalid --jobserver-auth|not returned/);
    for (const r of results) expect(r.stderr).toContain(`jobslot run: sharing the 3 slots of jobslot serve (pid ${daemon.child.pid})`);
    const after = await statusUntil(env, (t) => freeTokens(t) === 3, 5000);
    expect(after.text).toMatch(/no jobslot process is connected/);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('control: the same three builds without the daemon run 3 x the CPU count at once', async () => {
    const { env, xdg } = scratch();
    const { peak, jobs } = await threeBuilds(env, xdg);
    expect(jobs).toBe(18);
    // Each make gets one slot per CPU (at most its 6 jobs): 6 here on 2 cores.
    expect(peak).toBe(3 * Math.min(6, availableParallelism()));
  }, 90_000);

  it("a SIGKILLed jobslot client's tokens come back within a second, while others still hold the fifo", async () => {
    const { env, xdg } = scratch();
    const daemon = await startDaemon(['-j', '3'], env);
    const shell = evalEnv(env, daemon.envLines);
    expect(shell.CARGO_MAKEFLAGS).toMatch(/^ -j3 --jobserver-auth=fifo:\//);
    if (systemMake?.style === 'pipe') {
      // The make on PATH (4.3 here) stops on a fifo in MAKEFLAGS: left alone, and said so.
      expect(shell.MAKEFLAGS).toBeUndefined();
      expect(daemon.envLines).toMatch(/^# make 4\.\d+ on PATH reads no fifo jobserver/m);
    } else {
      expect(shell.MAKEFLAGS).toBe(shell.CARGO_MAKEFLAGS);
    }
    // A client holding nothing keeps the fifo open throughout: the pool cannot
    // be made whole by "nobody holds the fifo", only by accounting per process.
    const bystander = spawn(process.execPath, [HOLD, '0'], { env: shell, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(bystander);
    const holder = spawn(process.execPath, [HOLD, '2'], { env: shell, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(holder);
    await new Promise<void>((resolve) => holder.stdout!.on('data', (d) => String(d).includes('holding 2') && resolve()));
    const held = await statusUntil(env, (t) => new RegExp(`^${holder.pid}\\s+2\\s`, 'm').test(t));
    expect(freeTokens(held.text)).toBe(1);
    expect(held.text).toMatch(/hold\.mjs 2/);
    expect(held.text).toMatch(new RegExp(`fifo open in: .*${bystander.pid}`));
    const json = JSON.parse((await jobslot(['status', '--json'], env)).stdout) as { jobs: number; free: number; clients: { pid: number; tokens: number }[] };
    expect(json).toMatchObject({ jobs: 3, free: 1 });
    expect(json.clients).toContainEqual(expect.objectContaining({ pid: holder.pid, tokens: 2 }));
    holder.kill('SIGKILL');
    const back = await statusUntil(env, (t) => freeTokens(t) === 3);
    // Within a second, give or take a loaded machine's status calls.
    expect(back.ms).toBeLessThan(2000);
    expect(daemon.stderr()).toContain(`pid ${holder.pid} (node hold.mjs 2) ended holding 2 tokens: 2 back in the pool`);
    await new Promise((r) => setTimeout(r, 2000));
    const makefile = jobsMakefile(xdg, 'y.mk', 6, 0.5);
    const log = join(xdg, 'y.log');
    // From the shell that ran eval "$(jobslot env)": jobslot run sees the daemon's fifo itself.
    const y = await jobslot(['run', '--', 'make', '-s', '-f', makefile, `LOG=${log}`], shell);
    expect(y.code, y.stderr).toBe(0);
    expect(peakFromLog(readFileSync(log, 'utf8'))).toEqual({ peak: 3, jobs: 6 });
    expect(bystander.exitCode).toBeNull();
  }, 90_000);

  it.skipIf(!existsSync(MAKE44))('tokens make 4.4 read straight from the fifo come back once nobody holds it open', async () => {
    const { env, xdg } = scratch();
    // make 4.4 first on PATH: `jobslot env` then names the fifo in MAKEFLAGS too.
    const path44 = { ...env, PATH: `${join(MAKE44, '..')}:${env.PATH}` };
    const daemon = await startDaemon(['-j', '3'], path44);
    const shell = evalEnv(path44, daemon.envLines);
    expect(shell.MAKEFLAGS).toMatch(/^ -j3 --jobserver-auth=fifo:\//);
    const makefile = jobsMakefile(xdg, 'z.mk', 6, 60);
    const log = join(xdg, 'z.log');
    const make = spawn(MAKE44, ['-s', '-f', makefile, `LOG=${log}`], { env: shell, stdio: 'ignore', detached: true });
    children.push(make);
    // make runs its implicit slot and every token: 4 jobs (the daemon cannot see make's implicit slot).
    const taken = await statusUntil(env, (t) => freeTokens(t) === 0 && /3 read by others/.test(t));
    expect(taken.text).toMatch(new RegExp(`fifo open in: .*${make.pid} \\(make`));
    // make and its jobs die without giving anything back.
    process.kill(-make.pid!, 'SIGKILL');
    const back = await statusUntil(env, (t) => freeTokens(t) === 3);
    expect(back.ms).toBeLessThan(3000);
    expect(back.text).toMatch(/0 read by others/);
    expect(daemon.stderr()).toContain('3 tokens read from the fifo by processes that have all ended (make, cargo, ninja) never came back: the pool is whole again');
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('a build that started alone keeps only its fair share once another starts: the tokens its native pools were sized to go back', async () => {
    const { env, xdg } = scratch();
    await startDaemon(['-j', '3'], env);
    // Alone, it takes all 3 and would keep them until its command ends (its native pools are sized to 3).
    const first = spawn(process.execPath, [CLI, 'run', '--', 'sleep', '60'], { env, stdio: 'ignore', detached: true });
    children.push(first);
    await statusUntil(env, (t) => new RegExp(`^${first.pid}\\s+3\\s`, 'm').test(t));
    const makefile = jobsMakefile(xdg, 'y.mk', 4, 0.3);
    const log = join(xdg, 'y.log');
    const second = await jobslot(['run', '--', 'make', '-s', '-f', makefile, `LOG=${log}`], env, 30_000);
    expect(second.code, second.stderr).toBe(0);
    // Two builds: a share of 1 each (3 / 2); the second ran, one job at a time, beside the first.
    expect(peakFromLog(readFileSync(log, 'utf8'))).toEqual({ peak: 1, jobs: 4 });
    // Alone again: its share is all 3 once more.
    expect(await status(env)).toMatch(/builds \(jobslot run\): 1, each keeping at most 3 slots/);
    process.kill(-first.pid!, 'SIGKILL');
  }, 60_000);

  it("a SIGKILLed jobslot run's tokens come back, its own slot's included", async () => {
    const { env } = scratch();
    await startDaemon(['-j', '3'], env);
    const bystander = spawn(process.execPath, [HOLD, '0'], { env: evalEnv(env, (await jobslot(['env'], env)).stdout), stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(bystander);
    // Its command never ends by itself; in a process group of its own, so the orphan can be reaped after.
    const runner = spawn(process.execPath, [CLI, 'run', '--', 'sleep', '60'], { env, stdio: 'ignore', detached: true });
    children.push(runner);
    const taken = await statusUntil(env, (t) => new RegExp(`^${runner.pid}\\s+3\\s`, 'm').test(t));
    expect(freeTokens(taken.text)).toBe(0);
    runner.kill('SIGKILL');
    const back = await statusUntil(env, (t) => freeTokens(t) === 3);
    expect(back.ms).toBeLessThan(2000);
    process.kill(-runner.pid!, 'SIGKILL');
  }, 60_000);

  it.skipIf(loadavg()[0]! < 0.1)('holds tokens back above --load-average (here: any load above 0)', async () => {
    const { env } = scratch();
    const daemon = await startDaemon(['-j', '3', '--load-average', '0'], env);
    const held = await statusUntil(env, (t) => /2 held back/.test(t));
    expect(held.text).toMatch(/limits: load average 0 \(now \d/);
    expect(daemon.stderr()).toMatch(/the load average is \d+\.\d\d, above 0: holding tokens back \(one stays in circulation\)/);
    expect(freeTokens(held.text)).toBe(1);
  }, 60_000);

  it.skipIf(!cargo)('cargo joins from a shell that ran eval "$(jobslot env)", beside a jobslot run -- cargo, and gives every token back', async () => {
    const { env, xdg } = scratch();
    const workspace = join(xdg, 'ws');
    mkdirSync(workspace);
    await run('node', [GEN, 'cargo', workspace]);
    const daemon = await startDaemon(['-j', '2'], env);
    const log = join(xdg, 'jobs.log');
    // As on 16 cores (cargo asks glibc): alone, each cargo would run all 8 build scripts at once.
    const shell = { ...evalEnv(env, daemon.envLines), ...simulatedCores(16), JOB_LOG: log, PATH: `${dirname(cargo!)}:${env.PATH}` };
    const cargoBuild = (target: string, viaRun: boolean) =>
      run(viaRun ? process.execPath : cargo!, [...(viaRun ? [CLI, 'run', '--', 'cargo'] : []), 'build', '--offline', '-q'], {
        cwd: workspace,
        env: { ...shell, CARGO_TARGET_DIR: join(xdg, target) },
        timeoutMs: 240_000,
      });
    const builds = Promise.all([cargoBuild('t1', false), cargoBuild('t2', true)]);
    // While they run: the cargo started straight from the shell reads tokens from the fifo itself.
    let done = false;
    void builds.finally(() => (done = true));
    let mostByOthers = 0;
    while (!done) {
      mostByOthers = Math.max(mostByOthers, Number(/(\d+) read by others/.exec(await status(env))?.[1]));
      await new Promise((r) => setTimeout(r, 100));
    }
    const [direct, wrapped] = await builds;
    expect(direct.code, direct.stderr).toBe(0);
    expect(wrapped.code, wrapped.stderr).toBe(0);
    expect(mostByOthers).toBeGreaterThan(0);
    const { peak, jobs } = peakFromLog(readFileSync(log, 'utf8'));
    expect(jobs).toBe(16);
    // The daemon's 2, and the implicit slot of the cargo started straight from the shell.
    expect(peak).toBeLessThanOrEqual(3);
    const after = await statusUntil(env, (t) => freeTokens(t) === 2, 5000);
    expect(after.text).toMatch(/0 read by others/);
  }, 300_000);

  describe.skipIf(!existsSync(VITEST))('two jobslot run -- vitest run from unrelated shells, as on 16 cores', () => {
    /** Two packages of 6 CPU-bound test files, vitest's config with the vite plugin; each `jobslot run -- vitest run` from a shell of its own. */
    async function twoRuns(withDaemon: boolean) {
      const { env, xdg } = scratch();
      if (withDaemon) await startDaemon(['-j', '3'], env);
      const log = join(xdg, 'workers.log');
      writeFileSync(log, '');
      const runs = ['alpha', 'beta'].map((pkg) => {
        mkdirSync(join(xdg, pkg, 'test'), { recursive: true });
        writeFileSync(join(xdg, pkg, 'vitest.config.mjs'), `import { jobslot } from ${JSON.stringify(VITE_PLUGIN)};\nexport default { plugins: [jobslot()], test: { globals: true } };\n`);
        for (let i = 0; i < 6; i++) writeFileSync(join(xdg, pkg, 'test', `t${i}.test.js`), workerTestFile(pkg, i, false));
        return run(process.execPath, [CLI, 'run', '--', VITEST, 'run'], { cwd: join(xdg, pkg), env: { ...env, ...NOT_THIS_VITEST, ...simulatedCores(16), WORKER_LOG: log }, timeoutMs: 180_000 });
      });
      for (const r of await Promise.all(runs)) expect(r.code, r.stdout + r.stderr).toBe(0);
      return { env, ...peakFromLog(readFileSync(log, 'utf8')) };
    }

    it('with jobslot serve -j 3: at most 3 test files at once between them, every token back', async () => {
      const { env, peak, jobs } = await twoRuns(true);
      expect(jobs).toBe(12);
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThanOrEqual(2);
      expect(freeTokens((await statusUntil(env, (t) => freeTokens(t) === 3, 5000)).text)).toBe(3);
    }, 240_000);

    it('control, without the daemon: each sizes itself to the machine', async () => {
      const { peak, jobs } = await twoRuns(false);
      expect(jobs).toBe(12);
      expect(peak).toBeGreaterThan(3);
    }, 240_000);
  });

  it('holds tokens back below --min-memory, keeping one in circulation', async () => {
    const { env, xdg } = scratch();
    // 1 PiB: always more than is available.
    await startDaemon(['-j', '3', '--min-memory', '1P'], env);
    const held = await statusUntil(env, (t) => /2 held back/.test(t));
    expect(held.text).toMatch(/limits: min memory 1 PiB \(available /);
    const makefile = jobsMakefile(xdg, 'x.mk', 4, 0.3);
    const log = join(xdg, 'x.log');
    const r = await jobslot(['run', '--', 'make', '-s', '-f', makefile, `LOG=${log}`], env);
    expect(r.code, r.stderr).toBe(0);
    // The build still runs, on its one slot.
    expect(peakFromLog(readFileSync(log, 'utf8'))).toEqual({ peak: 1, jobs: 4 });
  }, 90_000);

  it('a second daemon says one runs and exits 1; SIGTERM exits 0 and leaves nothing behind', async () => {
    const { env, endpoint } = scratch();
    const daemon = await startDaemon(['-j', '2'], env);
    expect(readdirSync(endpoint).sort()).toEqual(['fifo', 'lock', 'socket']);
    for (const name of ['fifo', 'socket', 'lock']) expect(lstatSync(join(endpoint, name)).mode & 0o077).toBe(0);
    expect(lstatSync(endpoint).mode & 0o777).toBe(0o700);
    const second = await jobslot(['serve', '-j', '4'], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`one runs already for this user \\(pid ${daemon.child.pid}`));
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(endpoint)).toBe(false);
    const envAfter = await jobslot(['env'], env);
    expect(envAfter.code).toBe(1);
    expect(envAfter.stderr).toMatch(/no jobslot serve runs for this user.*jobslot serve -j N/);
  }, 60_000);

  it('a stale endpoint is detected and replaced, never followed through a symlink', async () => {
    const { env, endpoint, xdg } = scratch();
    const first = await startDaemon(['-j', '2'], env);
    first.child.kill('SIGKILL');
    await first.exited;
    // What the dead daemon left: `jobslot env` and `jobslot run` do not use it.
    const stale = await jobslot(['env'], env);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/left from one that is gone/);
    // An attacker's (or an accident's) symlink where the fifo was: removed, its target untouched.
    const target = join(xdg, 'precious');
    writeFileSync(target, 'keep');
    rmSync(join(endpoint, 'fifo'));
    symlinkSync(target, join(endpoint, 'fifo'));
    const second = await startDaemon(['-j', '2'], env);
    expect(second.stderr()).toMatch(/replaced the endpoint a daemon that is gone left/);
    expect(readFileSync(target, 'utf8')).toBe('keep');
    expect(lstatSync(join(endpoint, 'fifo')).isFIFO()).toBe(true);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 60_000);

  it('refuses an endpoint directory that is a symlink or open to others', async () => {
    const { env, endpoint, xdg } = scratch();
    const elsewhere = join(xdg, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, endpoint);
    const linked = await jobslot(['serve', '-j', '2'], env);
    expect(linked.code).toBe(1);
    expect(linked.stderr).toMatch(/is a symbolic link \(refusing to follow it\)/);
    expect(readdirSync(elsewhere)).toEqual([]);
    rmSync(endpoint);
    mkdirSync(endpoint, { mode: 0o755 });
    chmodSync(endpoint, 0o755);
    const open = await jobslot(['serve', '-j', '2'], env);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/open to others \(mode 755; it must be 700\)/);
    expect(readdirSync(endpoint)).toEqual([]);
    // A socket path longer than a unix socket takes: said before anything is made.
    const long = join(xdg, 'x'.repeat(90));
    mkdirSync(long, { mode: 0o700 });
    const tooLong = await jobslot(['serve', '-j', '2'], { ...env, XDG_RUNTIME_DIR: long });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/is too long for a unix socket \(at most 103 bytes\): set XDG_RUNTIME_DIR/);
    expect(readdirSync(long)).toEqual([]);
    if (process.getuid?.() === 0) {
      // Another user's directory (root can make one): refused, whatever its mode.
      chmodSync(endpoint, 0o700);
      chownSync(endpoint, 65534, 65534);
      const foreign = await jobslot(['serve', '-j', '2'], env);
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toMatch(/belongs to uid 65534, not to this user/);
      expect(readdirSync(endpoint)).toEqual([]);
    }
  }, 60_000);
});
