// node's --v8-pool-size as v8-pool-size.ts reads it, checked against node
// itself: a node started with the same NODE_OPTIONS and command line has as
// many threads as one started with the size read here alone.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { v8PoolOfThisProcess } from '../src/cli/in-process.js';
import { v8HelperThreads, v8PoolSizeOption } from '../src/v8-pool-size.js';

/** The threads of a node started with this NODE_OPTIONS and command line (Linux: /proc). */
function threads(nodeOptions: string, execArgv: readonly string[] = []): number {
  const script = "process.stdout.write(String(require('node:fs').readdirSync('/proc/self/task').length))";
  return Number(execFileSync(process.execPath, [...execArgv, '-e', script], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' }));
}

describe('v8PoolSizeOption', () => {
  it('none: undefined', () => {
    expect(v8PoolSizeOption(undefined)).toBeUndefined();
    expect(v8PoolSizeOption('', [])).toBeUndefined();
    expect(v8PoolSizeOption('--max-old-space-size=4096 --require x.cjs', ['--conditions', 'dev'])).toBeUndefined();
    // Another flag whose name starts the same is not it.
    expect(v8PoolSizeOption('--v8-pool-sizes=2', ['--v8-pool-size-x=3'])).toBeUndefined();
  });

  it('after `=` or as the next word, in either spelling', () => {
    expect(v8PoolSizeOption('--v8-pool-size=3')).toBe('3');
    expect(v8PoolSizeOption('--require x.cjs --v8-pool-size 3')).toBe('3');
    expect(v8PoolSizeOption('--v8_pool_size=3')).toBe('3');
    expect(v8PoolSizeOption('--v8-pool_size=3')).toBe('3');
    expect(v8PoolSizeOption(undefined, ['--v8-pool-size', '2', '-e', '0'])).toBe('2');
    expect(v8PoolSizeOption(undefined, ['--v8_pool_size=2'])).toBe('2');
  });

  it('the last wins; the command line over NODE_OPTIONS', () => {
    expect(v8PoolSizeOption('--v8-pool-size=2 --v8-pool-size=4')).toBe('4');
    expect(v8PoolSizeOption(undefined, ['--v8-pool-size=2', '--v8-pool-size', '4'])).toBe('4');
    expect(v8PoolSizeOption('--v8-pool-size=4', ['--v8-pool-size=1'])).toBe('1');
    expect(v8PoolSizeOption('--v8-pool-size=4', ['--conditions', 'dev'])).toBe('4');
  });

  it('NODE_OPTIONS split as node splits it: at spaces, "double quotes" honoured', () => {
    expect(v8PoolSizeOption('"--v8-pool-size=3"')).toBe('3');
    expect(v8PoolSizeOption('--v8-pool-size="3"')).toBe('3');
    expect(v8PoolSizeOption('--require "./a b.cjs"  --v8-pool-size=2')).toBe('2');
    // Inside quotes it is part of another word, not a flag.
    expect(v8PoolSizeOption('--title="x --v8-pool-size=9"')).toBeUndefined();
    expect(v8PoolSizeOption('--title="x \\" --v8-pool-size=9"')).toBeUndefined();
    // A tab does not split (the value is what follows `=`, tab and all).
    expect(v8PoolSizeOption('--v8-pool-size=1\t--no-warnings')).toBe('1\t--no-warnings');
  });

  it("a flag with no value (node refuses to start): ''", () => {
    expect(v8PoolSizeOption('--v8-pool-size')).toBe('');
    expect(v8PoolSizeOption('--v8-pool-size=')).toBe('');
    expect(v8PoolSizeOption('--v8-pool-size --no-warnings')).toBe('');
    expect(v8PoolSizeOption(undefined, ['--v8-pool-size'])).toBe('');
  });

  it.runIf(process.platform === 'linux')('agrees with node: its threads are those of a node given that size alone', () => {
    const cases: Array<[string, string[]]> = [
      ['--v8-pool-size=1 --v8-pool-size=3', []],
      ['--v8_pool_size 3', []],
      ['"--v8-pool-size=3"', []],
      ['--v8-pool-size="1" --title="x --v8-pool-size=3"', []],
      ['--v8-pool-size=3', ['--v8-pool-size=1']],
      ['--v8-pool-size=1', ['--v8-pool-size', '3']],
    ];
    for (const [nodeOptions, execArgv] of cases) {
      const size = v8PoolSizeOption(nodeOptions, execArgv);
      expect(size, `${nodeOptions} | ${execArgv.join(' ')}`).toMatch(/^[13]$/);
      expect(threads(nodeOptions, execArgv), `${nodeOptions} | ${execArgv.join(' ')}`).toBe(threads('', [`--v8-pool-size=${size}`]));
    }
  });
});

describe('v8PoolOfThisProcess', () => {
  // Threads of a node started with NODE_OPTIONS, less those of one with a pool of 1: its pool is that + 1.
  const poolOf = (nodeOptions: string): number => threads(nodeOptions) - threads('--v8-pool-size=1') + 1;

  it.runIf(process.platform === 'linux')("agrees with node's own pool: none, N, leading digits, 0 and no digits (the CPUs less one)", () => {
    const saved = process.env.NODE_OPTIONS;
    try {
      for (const nodeOptions of ['', '--v8-pool-size=3', '--v8-pool-size=5abc', '--v8-pool-size=0', '--v8-pool-size=abc']) {
        process.env.NODE_OPTIONS = nodeOptions;
        // This process's own command line may set it too: only NODE_OPTIONS is under test.
        if (process.execArgv.some((a) => /^--v8[-_]pool[-_]size/.test(a))) return;
        expect(v8PoolOfThisProcess(availableParallelism()), nodeOptions).toBe(poolOf(nodeOptions));
      }
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
  });
});

describe('v8HelperThreads', () => {
  it('none: node default 4; N; leading digits; 0, no digits, negative: the CPUs less one, at least one', () => {
    expect(v8HelperThreads(undefined, [], 8)).toBe(4);
    expect(v8HelperThreads('--v8-pool-size=3', [], 8)).toBe(3);
    expect(v8HelperThreads('--v8-pool-size=12abc', [], 8)).toBe(12);
    expect(v8HelperThreads('--v8-pool-size=0', [], 8)).toBe(7);
    expect(v8HelperThreads(undefined, ['--v8-pool-size=abc'], 8)).toBe(7);
    expect(v8HelperThreads('--v8-pool-size=-1', [], 1)).toBe(1);
    expect(v8HelperThreads('--v8-pool-size=5', ['--v8-pool-size=2'], 8)).toBe(2);
  });
});
