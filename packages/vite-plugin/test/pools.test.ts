// vite's worker pools are sized to the slots held, but never above what vite
// would start by itself (availableParallelism() - 1, at least 1).
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { poolConfig } from '../src/pools.js';

const viteDefault = Math.max(1, availableParallelism() - 1);

describe('poolConfig', () => {
  it('more slots than vite would use: vite\'s own default, not more (2 slots on 2 cores: 1 worker)', () => {
    const slots = availableParallelism() + 3;
    expect(poolConfig({}, slots, true)).toEqual({ build: { terserOptions: { maxWorkers: viteDefault } }, css: { preprocessorMaxWorkers: viteDefault } });
    expect(poolConfig({ css: { preprocessorMaxWorkers: true } }, slots, false).css).toEqual({ preprocessorMaxWorkers: viteDefault });
  });

  it('fewer slots than that: the slots', () => {
    expect(poolConfig({}, 1, true)).toEqual({ build: { terserOptions: { maxWorkers: 1 } }, css: { preprocessorMaxWorkers: 1 } });
  });

  it('vite 5 and 6 run CSS preprocessors on the main thread unless asked: left so', () => {
    expect(poolConfig({}, 1, false).css).toBeUndefined();
  });

  it('keeps what the user set', () => {
    expect(poolConfig({ build: { terserOptions: { maxWorkers: 7 } }, css: { preprocessorMaxWorkers: 0 } }, 1, true)).toEqual({});
  });
});
