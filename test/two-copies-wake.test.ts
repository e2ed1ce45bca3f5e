// Two copies of @jobslot/core in one process (the ES module build and the
// CommonJS build, as a webpack config in CommonJS beside an ESM plugin loads
// them) share one SIGURG listener: the wake-up's state lives in the
// process's registry (posix/wake.ts, state.ts). Under real make (4.3 pipe,
// 4.4.1 fifo), each copy's client waits for a token while the other holds
// them all; the tokens go back, and both waits end, woken by the signal:
// well before the clients' 1 s safety look could have served them (a
// generous bound), with a signal seen by a listener of the test's own.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeBins, ROOT, runMake, sh, tempDir } from './support/index.js';

const FIXTURE = join(ROOT, 'test/fixtures/core/two-copies.mjs');
const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

describe.each(available)('make $version -j3: the ESM and the CJS build of core in one process', (make) => {
  it('one SIGURG listener, and both copies wake on it', async () => {
    const result = await runMake({ make, dir: tempDir('jobslot-two-copies-'), jobs: 3, makefile: `all:\n\t+@cd ${sh(join(ROOT, 'test'))} && node ${sh(FIXTURE)}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const seen = JSON.parse(result.stdout.trim()) as {
      connected: boolean[];
      tokens: number;
      listeners: number;
      signals: number;
      esm: { got: boolean; ms: number };
      cjs: { got: boolean; ms: number };
    };
    console.log(`make ${make.version}: ${JSON.stringify(seen)}`);
    expect(seen.connected).toEqual([true, true]);
    expect(seen.tokens).toBe(2);
    expect(seen.listeners).toBe(1);
    expect(seen.signals).toBeGreaterThan(0);
    expect(seen.esm.got && seen.cjs.got).toBe(true);
    expect(Math.max(seen.esm.ms, seen.cjs.ms)).toBeLessThan(900);
  });
});
