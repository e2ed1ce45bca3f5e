// The windows left between a worker thread's tokens and the main thread's
// flush at death (escrow.ts): a worker giving a token back while the flush
// writes its escrow could return it twice; a byte read but not yet escrowed
// could die with the process. A worker churns tokens as fast as it can and
// the process is killed mid-churn, many times: every token must come back
// exactly once, counted on the jobserver itself.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createJobserver } from '@jobslot/core/server';
import { describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from './support/index.js';

const CHURN = join(ROOT, 'test/fixtures/core/worker-churn.mjs');
const ROUNDS = 25;

async function killMidChurn(style: 'fifo' | 'pipe'): Promise<{ returned: number; lost: number; extra: number; signal: string | null }> {
  const server = createJobserver({ jobs: 4, style });
  const child = spawn('node', [CHURN], { env: server.env(cleanEnv()), stdio: ['ignore', 'pipe', 'inherit', ...server.stdio] });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('churning') && resolve()));
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGTERM');
  const signal = await exited;
  return { ...server.close(), signal };
}

describe.each(['fifo', 'pipe'] as const)('a worker churning tokens when the process is killed (%s)', (style) => {
  it(`${ROUNDS} kills: every token back exactly once, none twice`, async () => {
    const results = [];
    for (let i = 0; i < ROUNDS; i++) results.push(await killMidChurn(style));
    for (const r of results) expect(r.signal).toBe('SIGTERM');
    expect(results.map((r) => `${r.returned}/${r.lost}/${r.extra}`)).toEqual(results.map(() => '3/0/0'));
  }, 120_000);
});

/** The same churn, ended by the main thread's process.exit(): exit()'s own flush takes no lock. */
async function exitMidChurn(style: 'fifo' | 'pipe'): Promise<{ returned: number; lost: number; extra: number; code: number | null }> {
  const server = createJobserver({ jobs: 4, style });
  const child = spawn('node', [CHURN, 'exit'], { env: server.env(cleanEnv()), stdio: ['ignore', 'ignore', 'inherit', ...server.stdio] });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { ...server.close(), code };
}

describe.each(['fifo', 'pipe'] as const)('a worker churning tokens when the main thread calls process.exit() (%s)', (style) => {
  it(`${ROUNDS * 2} exits: every token back exactly once, none twice`, async () => {
    const results = [];
    for (let i = 0; i < ROUNDS * 2; i++) results.push(await exitMidChurn(style));
    for (const r of results) expect(r.code).toBe(0);
    expect(results.map((r) => `${r.returned}/${r.lost}/${r.extra}`)).toEqual(results.map(() => '3/0/0'));
  }, 180_000);
});
