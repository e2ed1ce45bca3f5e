// Bad input and faults: each gets one clear warning and a safe fallback, never
// a crash, a hang, or a stolen or lost token.
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
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
    expect(client.errorKind).toBe('foreign-pipe');
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

/** Starts a fixture under a jobserver of ours, in the given style. */
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
        if (stdout.includes(text)) {
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

describe('the jobserver closing mid-wait', () => {
  it('a pending acquire resolves null with a warning, without hanging', async () => {
    const run = startUnder('fifo', 1, 'wait.mjs', ['-']);
    // Let the client start waiting (no token exists: -j1), then go away.
    await new Promise((r) => setTimeout(r, 500));
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
