// Which vitest projects' workers the plugin starts with --v8-pool-size=1, and
// whose size it keeps. Counted in real worker processes under make in
// test/vitest-v8-pool.test.ts.
import { describe, expect, it } from 'vitest';
import { sizeForkWorkersV8Pool, userV8PoolSize } from '../src/vitest-v8-pool.js';

describe('userV8PoolSize', () => {
  it("sees the user's size in the project's execArgv, in either spelling and as two arguments", () => {
    expect(userV8PoolSize({ execArgv: ['--v8-pool-size=2'] }, undefined, {})).toBe(true);
    expect(userV8PoolSize({ execArgv: ['--v8_pool_size=2'] }, undefined, {})).toBe(true);
    expect(userV8PoolSize({ execArgv: ['--v8-pool-size', '2'] }, undefined, {})).toBe(true);
    expect(userV8PoolSize({ execArgv: ['--v8-pool-sizes=2', '--conditions', 'dev'] }, undefined, {})).toBe(false);
  });

  it("sees it in the NODE_OPTIONS the workers get: the project's env, else test.env, else the environment", () => {
    expect(userV8PoolSize({ env: { NODE_OPTIONS: '--v8-pool-size=3' } }, undefined, {})).toBe(true);
    expect(userV8PoolSize({}, { NODE_OPTIONS: '--max-old-space-size=4096 --v8-pool-size=3' }, {})).toBe(true);
    expect(userV8PoolSize({}, undefined, { NODE_OPTIONS: '--require x.cjs --v8-pool-size 3' })).toBe(true);
    // The project's own NODE_OPTIONS replaces the environment's for its workers.
    expect(userV8PoolSize({ env: { NODE_OPTIONS: '--require x.cjs' } }, undefined, { NODE_OPTIONS: '--v8-pool-size=3' })).toBe(false);
    expect(userV8PoolSize({}, undefined, { NODE_OPTIONS: '--require x.cjs' })).toBe(false);
  });

  it("does not take the size `jobslot run` added (it marks it) for the user's, unless the user's replaced it", () => {
    const run = { NODE_OPTIONS: '--require x.cjs --v8-pool-size=2', JOBSLOT_V8_POOL_SIZE: '2' };
    expect(userV8PoolSize({}, undefined, run)).toBe(false);
    expect(userV8PoolSize({}, undefined, { ...run, NODE_OPTIONS: '--v8-pool-size=2 --v8-pool-size=4' })).toBe(true);
    expect(userV8PoolSize({}, { NODE_OPTIONS: '--v8-pool-size=2' }, run)).toBe(true);
  });
});

describe('sizeForkWorkersV8Pool', () => {
  it('adds --v8-pool-size=1 to forks and vmForks projects, once, and leaves threads, typecheck and custom pools alone', () => {
    const projects = [
      { config: { pool: 'forks', execArgv: ['--conditions', 'dev'] } },
      { config: { pool: 'vmForks' } },
      { config: { pool: 'threads', execArgv: [] } },
      { config: { pool: 'vmThreads', execArgv: [] } },
      { config: { pool: 'typescript', execArgv: [] } },
      { config: { pool: 'my-pool', execArgv: [] } },
      { config: { pool: 'forks', execArgv: ['--v8-pool-size=3'] } },
    ];
    const before = projects[0]!.config.execArgv;
    sizeForkWorkersV8Pool(projects, undefined);
    sizeForkWorkersV8Pool(projects, undefined); // a rerun
    expect(projects.map((p) => p.config.execArgv)).toEqual([
      ['--conditions', 'dev', '--v8-pool-size=1'],
      ['--v8-pool-size=1'],
      [],
      [],
      [],
      [],
      ['--v8-pool-size=3'],
    ]);
    // The user's array is not changed in place: their config object keeps what they wrote.
    expect(before).toEqual(['--conditions', 'dev']);
  });
});
