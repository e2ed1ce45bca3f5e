// withThreadEnv: the synchronous window in which process.env sizes native pools
// (moved here from the esbuild plugin's env.ts, with its test).
import { describe, expect, it } from 'vitest';
import { THREAD_VARIABLES, withThreadEnv } from '../src/threads.js';

describe('withThreadEnv', () => {
  it('sets the variables for the call only, and puts back absent and present ones alike', () => {
    const before = { ...process.env };
    process.env.GOMAXPROCS = '9';
    delete process.env.RAYON_NUM_THREADS;
    const seen = withThreadEnv(3, () => THREAD_VARIABLES.map((v) => process.env[v]));
    expect(seen).toEqual(THREAD_VARIABLES.map(() => '3'));
    expect(process.env.GOMAXPROCS).toBe('9');
    expect('RAYON_NUM_THREADS' in process.env).toBe(false);
    expect(() =>
      withThreadEnv(2, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect('RAYON_NUM_THREADS' in process.env).toBe(false);
    if (before.GOMAXPROCS === undefined) delete process.env.GOMAXPROCS;
    else process.env.GOMAXPROCS = before.GOMAXPROCS;
    expect(process.env).toEqual(before);
  });
});
