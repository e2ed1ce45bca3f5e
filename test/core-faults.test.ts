// Bad input and faults: each gets one clear warning and a safe fallback, never
// a crash, a hang, or a stolen or lost token.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { JobClient } from '@jobslot/core';
import { createJobserver } from '@jobslot/core/server';
import { describe, expect, it } from 'vitest';
import { cleanEnv, makeBins, ROOT, run, runMake, tempDir } from './support/index.js';

const FIXTURES = join(ROOT, 'test/fixtures/core');
const PROBE = join(FIXTURES, 'probe.mjs');

interface Probe {
  connected: boolean;
  kind?: string;
  reason?: string;
  took: boolean;
  warnings: string[];
}

async function probe(env: Record<string, string>, extraFds: Array<number | 'pipe' | 'ignore'> = []): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [PROBE], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'inherit', ...extraFds] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        expect(code).toBe(0);
        resolve(JSON.parse(out.trim().split('\n').at(-1)!));
      } catch (error) {
        reject(new Error(`probe printed ${JSON.stringify(out)}: ${error}`));
      }
    });
  });
}

function expectFallback(p: Probe, kind: string, message: RegExp): void {
  expect(p.connected).toBe(false);
  expect(p.kind).toBe(kind);
  expect(p.took).toBe(false);
  expect(p.warnings).toHaveLength(1);
  expect(p.warnings[0]).toMatch(message);
}

describe('bad MAKEFLAGS', () => {
  it('garbage auth: cannot-parse', async () => {
    expectFallback(await probe({ MAKEFLAGS: ' -j4 --jobserver-auth=3;4' }), 'cannot-parse', /cannot parse --jobserver-auth=3;4/);
  });

  it('-2,-2: make is not sharing its jobserver', async () => {
    expectFallback(await probe({ MAKEFLAGS: ' -j4 --jobserver-auth=-2,-2' }), 'negative-fd', /-2,-2.*'\+'/);
  });

  it('fds that are not open', async () => {
    expectFallback(await probe({ MAKEFLAGS: ' -j4 --jobserver-auth=37,38' }), 'closed-fd', /fd 37 is not open/);
  });

  it('fds that are a regular file', async () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, '++++');
    const fd = openSync(file, 'r+');
    try {
      expectFallback(await probe({ MAKEFLAGS: ' -j4 --jobserver-auth=3,4' }, [fd, fd]), 'not-a-pipe', /a regular file/);
    } finally {
      closeSync(fd);
    }
  });

  it('fds that are a socket', async () => {
    // node's 'pipe' stdio is a Unix socket pair.
    expectFallback(await probe({ MAKEFLAGS: ' -j4 --jobserver-auth=3,4' }, ['pipe', 'pipe']), 'not-a-pipe', /a socket/);
  });

  it('fds that are two different pipes', async () => {
    const a = createJobserver({ jobs: 3, style: 'pipe' });
    const b = createJobserver({ jobs: 3, style: 'pipe' });
    try {
      const p = await probe({ MAKEFLAGS: ' -j3 --jobserver-auth=3,4' }, [a.stdio[0]!, b.stdio[1]!]);
      expectFallback(p, 'different-pipes', /two different pipes/);
    } finally {
      // Nothing was taken from either.
      expect(a.close()).toMatchObject({ returned: 2, lost: 0 });
      expect(b.close()).toMatchObject({ returned: 2, lost: 0 });
    }
  });

  it('a pipe with the access modes swapped', async () => {
    const a = createJobserver({ jobs: 3, style: 'pipe' });
    try {
      const p = await probe({ MAKEFLAGS: ' -j3 --jobserver-auth=3,4' }, [a.stdio[1]!, a.stdio[0]!]);
      expectFallback(p, 'wrong-access-mode', /open for writing only/);
    } finally {
      expect(a.close()).toMatchObject({ returned: 2, lost: 0 });
    }
  });

  it('a pipe no ancestor holds (fd numbers reused by this process)', () => {
    // This process made the pipe, so no parent has it: exactly what happens
    // when node reuses the numbers make named for its own pipes.
    const a = createJobserver({ jobs: 3, style: 'pipe' });
    const warnings: string[] = [];
    const client = JobClient.fromEnv({ env: { MAKEFLAGS: ` -j3 --jobserver-auth=${a.stdio[0]},${a.stdio[1]}` }, onWarning: (m) => warnings.push(m) });
    expect(client.connected).toBe(false);
    expect(client.error?.kind).toBe('foreign-pipe');
    expect(warnings).toHaveLength(1);
    expect(client.tryAcquire()).toBeNull();
    expect(a.close()).toMatchObject({ returned: 2, lost: 0 });
  });

  it('a fifo path that is missing', async () => {
    expectFallback(await probe({ MAKEFLAGS: ' -j4 --jobserver-auth=fifo:/tmp/no-such-jobslot-fifo' }), 'missing-fifo', /does not exist/);
  });

  it('a fifo path that is not a fifo', async () => {
    const file = join(tempDir(), 'not-a-fifo');
    writeFileSync(file, '+++');
    expectFallback(await probe({ MAKEFLAGS: ` -j4 --jobserver-auth=fifo:${file}` }), 'not-a-fifo', /a regular file, not a fifo/);
  });
});

describe('make -> sh -> npm run -> node', () => {
  const make43 = makeBins().available.find((m) => m.style === 'pipe');
  it.skipIf(!make43)('the pipe fds are gone: one warning, nothing read, every token back', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, scripts: { probe: `node ${PROBE}` } }));
    const result = await runMake({ make: make43!, dir, jobs: 4, makefile: `all:\n\t+sh -c 'npm run --silent probe'\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const p = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Probe;
    expect(p.connected).toBe(false);
    expect(['closed-fd', 'not-a-pipe', 'foreign-pipe']).toContain(p.kind);
    expect(p.took).toBe(false);
    expect(p.warnings).toHaveLength(1);
  });
});

/** Starts a fixture under a jobserver of ours, in the given style. `said` looks at stdout and stderr. */
function startUnder(style: 'fifo' | 'pipe', jobs: number, script: string, args: string[]) {
  const server = createJobserver({ jobs, style });
  const child = spawn('node', [join(FIXTURES, script), ...args], {
    env: server.env(cleanEnv()),
    stdio: ['ignore', 'pipe', 'pipe', ...server.stdio],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const said = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never said ${text}: ${stdout} ${stderr}`)), 10_000);
      const check = () => {
        if (stdout.includes(text) || stderr.includes(text)) {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 10);
      };
      check();
    });
  return { server, child, exited, said, output: () => ({ stdout, stderr }) };
}

describe.each(['fifo', 'pipe'] as const)('faults (%s)', (style) => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('killed by %s while holding 3 tokens: all 3 come back', async (signal) => {
    const run = startUnder(style, 4, 'hold.mjs', ['3']);
    await run.said('holding 3');
    run.child.kill(signal);
    const { signal: died } = await run.exited;
    // The signal is re-raised after the release: the exit status still says it.
    expect(died).toBe(signal);
    expect(run.server.close()).toMatchObject({ returned: 3, lost: 0 });
  });

  it.each(['throw', 'reject', 'exit'])('leaving by %s while holding 2 tokens: both come back', async (how) => {
    const run = startUnder(style, 3, 'crash.mjs', ['2', how]);
    const { code } = await run.exited;
    expect(run.output().stdout).toContain('holding 2');
    expect(code).not.toBe(0);
    expect(run.server.close()).toMatchObject({ returned: 2, lost: 0 });
  });
});

describe.each(['fifo', 'pipe'] as const)('a fault the program handles itself (%s)', (style) => {
  it.each(['signal', 'exception'])('%s: tokens stay held, waits still served, all back at the end', async (how) => {
    const run = startUnder(style, 3, 'handled.mjs', [how]);
    await run.said('holding 2');
    if (how === 'signal') run.child.kill('SIGHUP');
    const { code } = await run.exited;
    const { stdout, stderr } = run.output();
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(how === 'signal' ? 'handled SIGHUP' : 'handled boom');
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { heldAfterFault: number; served: boolean; connected: boolean };
    expect(out).toEqual({ how, heldAfterFault: 2, served: true, connected: true });
    expect(run.server.close()).toMatchObject({ returned: 2, lost: 0 });
  });
});

describe('the jobserver closing mid-wait', () => {
  it('a pending acquire resolves null with a warning, without hanging', async () => {
    const run = startUnder('fifo', 1, 'wait.mjs', ['-']);
    // Once the client waits (no token exists: -j1), go away.
    await run.said('waiting with 0 held');
    expect(run.server.close()).toMatchObject({ returned: 0, lost: 0 });
    const { code } = await run.exited;
    expect(code).toBe(0);
    const out = JSON.parse(run.output().stdout.trim()) as { outcome: string; ms: number; connected: boolean; warnings: string[] };
    expect(out.outcome).toBe('null');
    expect(out.connected).toBe(false);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/jobserver closed/);
    expect(out.ms).toBeLessThan(5000);
  });
});

describe('tokens held or awaited in a worker thread', () => {
  const cases = makeBins().available.flatMap((make) =>
    [['terminate', 'hold'], ['terminate', 'wait'], ['exit', 'hold'], ['exit', 'wait'], ['signal', 'hold'], ['signal', 'wait']].map(([how, wait]) => ({ make, version: make.version, how, wait })),
  );
  it.each(cases)('make $version: worker $how while it $wait s: every token back (no INTERNAL line)', async ({ make, how, wait }) => {
    const dir = tempDir();
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${join(FIXTURES, 'worker-hold.mjs')} ${how} ${wait}\n` });
    expect(result.stdout).toContain('worker holding 3');
    if (how === 'signal') {
      // make reports the recipe as killed by the signal, not as a failure of its own.
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/Terminated/);
    } else {
      expect(result.code, result.stderr).toBe(0);
    }
    expect(result.leakLine, result.stderr).toBeUndefined();
    expect(result.stderr).not.toMatch(/INTERNAL/);
  });
});

describe('make 4.3 (pipe) killed mid-build', () => {
  const make43 = makeBins().available.find((m) => m.style === 'pipe');
  it.skipIf(!make43)('a waiting client ends its wait with null and one warning', async () => {
    const dir = tempDir();
    // -j2: the recipe takes the one token and waits for a second that never comes.
    writeFileSync(join(dir, 'Makefile'), `all:\n\t+node ${join(FIXTURES, 'wait.mjs')} -\n`);
    const make = spawn(make43!.bin, ['-j2'], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    make.stdout!.on('data', (d) => (stdout += d));
    make.stderr!.on('data', (d) => (stderr += d));
    // The recipe's output stays open after make dies: 'close' comes when the client ends.
    const closed = new Promise<void>((resolve) => make.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never waiting: ${stderr}`)), 20_000);
      const check = () => (stderr.includes('waiting with 1 held') ? (clearTimeout(timer), resolve()) : setTimeout(check, 10));
      check();
    });
    const killedAt = performance.now();
    make.kill('SIGKILL');
    const ended = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
    if (!ended) process.kill(Number(/waiting with 1 held, pid (\d+)/.exec(stderr)![1]), 'SIGKILL');
    expect(ended, 'the wait never ended after make was killed').toBe(true);
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { outcome: string; warnings: string[]; connected: boolean };
    expect(out.outcome).toBe('null');
    expect(out.connected).toBe(false);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/jobserver is gone \(pid \d+, which held its pipe, has exited\)/);
    // Seen at the next look, about a second; generous.
    expect(performance.now() - killedAt).toBeLessThan(10_000);
  });
});

describe('no make at all', () => {
  it('not connected, no warning, no FFI loaded', async () => {
    const result = await run('node', ['-e', `import('@jobslot/core').then(({JobClient}) => { const c = JobClient.fromEnv(); console.log(JSON.stringify({ connected: c.connected, fallback: c.fallbackSlots, koffi: Object.keys(require.cache ?? {}).some(k => k.includes('koffi')) })) })`], {
      cwd: join(ROOT, 'test'),
      env: cleanEnv(),
    });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { connected: boolean; fallback: number; koffi: boolean };
    expect(out.connected).toBe(false);
    expect(out.koffi).toBe(false);
    expect(out.fallback).toBeGreaterThanOrEqual(1);
  });
});

describe('JOBSLOT_TRACE in a missing directory', () => {
  it.each(['probe', 'exit'])('one warning, no trace, the build goes on (%s)', async (how) => {
    const trace = join(tempDir(), 'no-such-dir', 'trace.jsonl');
    const server = createJobserver({ jobs: 3, style: 'fifo' });
    const args = how === 'probe' ? [PROBE] : [join(FIXTURES, 'crash.mjs'), '2', 'exit'];
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('node', args, { env: server.env(cleanEnv({ JOBSLOT_TRACE: trace })), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.code, result.stderr).toBe(how === 'probe' ? 0 : 3);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^jobslot: cannot write the trace JOBSLOT_TRACE=.*no-such-dir.*tracing is off/);
    if (how === 'probe') expect((JSON.parse(result.stdout.trim()) as Probe).connected).toBe(true);
    expect(server.close()).toMatchObject({ returned: 2, lost: 0 });
  });
});

describe('smaller faults', () => {
  it.each(['fifo', 'pipe'] as const)('removing the signal listeners mid-wait does not kill the process (%s)', async (style) => {
    const run = startUnder(style, 2, 'signal-removed.mjs', []);
    const { code, signal } = await run.exited;
    expect({ code, signal }, run.output().stderr).toEqual({ code: 0, signal: null });
    expect(JSON.parse(run.output().stdout.trim())).toEqual({ held: true, got: true });
    expect(run.server.close()).toMatchObject({ returned: 1, lost: 0 });
  });

  it('waits in worker threads print no "closed but not opened" warning', async () => {
    const run = startUnder('fifo', 3, 'worker-wait.mjs', ['3']);
    const { code } = await run.exited;
    const { stdout, stderr } = run.output();
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.trim())).toEqual(Array(3).fill({ connected: 'fifo', held: 2, late: 'null' }));
    expect(stderr).not.toMatch(/closed but not opened/);
    expect(stderr).toBe('');
    expect(run.server.close()).toMatchObject({ returned: 2, lost: 0 });
  });

  it('JobserverError: instanceof holds across the ESM and CJS builds', async () => {
    const script = `
      const cjs = require('@jobslot/core');
      import('@jobslot/core').then((esm) => {
        const fromCjs = new cjs.JobserverError('closed', 'x');
        const fromEsm = new esm.JobserverError('closed', 'x');
        console.log(JSON.stringify({
          distinct: cjs.JobserverError !== esm.JobserverError,
          across: fromCjs instanceof esm.JobserverError && fromEsm instanceof cjs.JobserverError,
          error: fromCjs instanceof Error,
          plain: new Error('x') instanceof esm.JobserverError,
        }));
      });`;
    const result = await run('node', ['-e', script], { cwd: join(ROOT, 'test'), env: cleanEnv() });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ distinct: true, across: true, error: true, plain: false });
  });
});

describe('MAKEFLAGS that names a descriptor not the jobserver\'s', () => {
  const { available } = makeBins();

  /** A fifo that is not the jobserver, holding one byte 'E', held open here. */
  function decoyFifo() {
    const path = join(tempDir(), 'evil');
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    writeSync(fd, 'E');
    return {
      path,
      /** What is still in the fifo (read out, and the fifo closed). */
      left: () => {
        const buf = Buffer.alloc(16);
        try {
          return buf.toString('utf8', 0, readSync(fd, buf));
        } catch {
          return ''; // EAGAIN: empty
        } finally {
          closeSync(fd);
        }
      },
    };
  }

  it.each(available)('make $version: a newline in a command-line variable cannot smuggle in --jobserver-auth', async (make) => {
    const decoy = decoyFifo();
    const dir = tempDir();
    writeFileSync(join(dir, 'Makefile'), `all:\n\t+@node ${PROBE}\n`);
    const result = await run(make.bin, ['-j3', `X=a\n--jobserver-auth=fifo:${decoy.path}`], { cwd: dir, env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    const p = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Probe & { style: string; byte?: number };
    // make's own jobserver, not the decoy: its token byte is '+', the decoy's 'E'.
    expect(p.connected, JSON.stringify(p)).toBe(true);
    expect(p.style).toBe(make.style);
    expect(p.byte).toBe(0x2b);
    expect(decoy.left()).toBe('E');
    expect(/INTERNAL: Exiting/.test(result.stderr)).toBe(false);
  });

  it('fifo:/proc/PID/fd/N naming a non-ancestor\'s pipe is refused, its data untouched', async () => {
    // A process that is not our ancestor, with a pipe holding data of its own
    // on fd 3 (the read end; a subshell holds the write end).
    // Its own process group, killed whole at the end: the subshell's sleep, left
    // alone, lived on for a minute holding vitest's output pipe ("close timed out").
    const holder = spawn('bash', ['-c', 'exec 3< <(printf DATA; exec sleep 60); echo ready; exec sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    try {
      const p = await probe({ MAKEFLAGS: ` -j3 --jobserver-auth=fifo:/proc/${holder.pid}/fd/3` });
      expectFallback(p, 'foreign-pipe', /another process's pipe/);
      // Nothing was read from it.
      const fd = openSync(`/proc/${holder.pid}/fd/3`, constants.O_RDONLY | constants.O_NONBLOCK);
      const buf = Buffer.alloc(16);
      try {
        expect(buf.toString('utf8', 0, readSync(fd, buf))).toBe('DATA');
      } finally {
        closeSync(fd);
      }
    } finally {
      process.kill(-holder.pid!, 'SIGTERM');
    }
  });

  it('fifo:/proc/PID/fd/N of an ancestor holding both ends (a jobserver) is accepted', async () => {
    const server = createJobserver({ jobs: 3, style: 'pipe' });
    try {
      const p = await probe({ MAKEFLAGS: ` -j3 --jobserver-auth=fifo:/proc/${process.pid}/fd/${server.stdio[0]}` });
      expect(p.connected).toBe(true);
      expect(p.took).toBe(true);
      expect(p.warnings).toEqual([]);
    } finally {
      expect(server.close()).toMatchObject({ returned: 2, lost: 0 });
    }
  });

  it('a relative fifo path gets one warning, even where it exists', async () => {
    const dir = tempDir();
    expect(spawnSync('mkfifo', [join(dir, 'fifo')]).status).toBe(0);
    const result = await new Promise<string>((resolve) => {
      const child = spawn('node', [PROBE], { cwd: dir, env: cleanEnv({ MAKEFLAGS: ' -j3 --jobserver-auth=fifo:fifo' }), stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.on('close', () => resolve(stdout));
    });
    expectFallback(JSON.parse(result.trim()) as Probe, 'unsafe-path', /not an absolute path/);
  });
});
