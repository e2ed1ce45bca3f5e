// SIGINT and SIGTERM reaching a jobslot client while its JavaScript is busy
// (blocked in acquireSync, or computing): the process must die of the signal
// as plain node would, and every token it held must still go back to make.
// Under real make (4.3 pipe style, 4.4.1 fifo style); the exit status is the
// shell's `$?`, the token count is what the next recipe can take.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, makeBins, ROOT, tempDir } from './support/index.js';
import { writeFileSync } from 'node:fs';

const FIXTURES = join(ROOT, 'test/fixtures/core');
const NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs make until the victim says it is in its synchronous part, signals it, and times its death. */
async function signalDuringSyncWork(make: { bin: string }, mode: 'wait' | 'busy', signal: 'SIGINT' | 'SIGTERM') {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'Makefile'),
    [
      '.PHONY: all after victim',
      'all: after',
      'after: victim',
      `\t+@node ${join(FIXTURES, 'take-all.mjs')} 1`,
      'victim:',
      `\t+@node ${join(FIXTURES, 'sync-signal.mjs')} ${mode}; echo "victim status $$?"`,
      '',
    ].join('\n'),
  );
  // -j2: one token, which the victim takes; a wait then has nothing to wait for.
  const child = spawn(make.bin, ['-j2'], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const pid = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = new RegExp(`${mode === 'wait' ? 'waiting' : 'busy'} (\\d+)`).exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    void closed.then(() => reject(new Error(`make ended first: ${stdout} ${stderr}`)));
  });
  const sent = performance.now();
  process.kill(pid, signal);
  while (alive(pid) && performance.now() - sent < 20_000) await new Promise((r) => setTimeout(r, 5));
  const diedAfterMs = performance.now() - sent;
  const code = await closed;
  clearTimeout(killTimer);
  const output = stdout + stderr;
  return {
    code,
    output,
    diedAfterMs,
    status: Number(/victim status (\d+)/.exec(stdout)?.[1]),
    took: /took (\d+) of 1/.exec(stdout)?.[1],
    leak: /INTERNAL: Exiting with/.test(output),
  };
}

describe.each(makeBins().available)('signals during synchronous work, make $version ($style)', (make) => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s to a client blocked in acquireSync({ timeout: Infinity }): dies of it within 1.5 s, its token back', async (signal) => {
    const r = await signalDuringSyncWork(make, 'wait', signal);
    expect(r.status, r.output).toBe(128 + NUMBERS[signal]);
    expect(r.diedAfterMs, r.output).toBeLessThan(1500);
    expect(r.output).not.toMatch(/woke with/);
    expect(r.code, r.output).toBe(0);
    expect(r.took, r.output).toBe('1');
    expect(r.leak, r.output).toBe(false);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s to a client computing for 3 s with a token: dies of it by the end of the busy part, its token back', async (signal) => {
    const r = await signalDuringSyncWork(make, 'busy', signal);
    expect(r.status, r.output).toBe(128 + NUMBERS[signal]);
    // The busy part had begun before the signal: it ends within 3 s of it (slack for a loaded machine).
    expect(r.diedAfterMs, r.output).toBeLessThan(4500);
    expect(r.code, r.output).toBe(0);
    expect(r.took, r.output).toBe('1');
    expect(r.leak, r.output).toBe(false);
  });
});
