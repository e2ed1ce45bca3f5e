// `jobslot run` answers a process beneath it that waits on its sub-pool when
// it has no token to give (posix/refusals.ts): none free in make's pool above,
// or it holds its -jN already. A minimizer pass topping up its worker pool
// (webpack-plugin's top-up.ts) stops waiting on that answer; before, it
// stopped after 0.5 s of wall time, a race on a loaded machine.
//
// The waiter here is a real jobslot client in a node process beneath a real
// `jobslot run` under real make; it waits with no time-out until it has a
// token or two answers, so the test cannot pass by a clock. make's INTERNAL:
// line and the trace prove every token back.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, ROOT, runMake, sh, tempDir } from './support/index.js';

const CORE = join(ROOT, 'packages/core/dist');
const built = existsSync(join(CORE, 'plugin.cjs'));
const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

// Connects; with `take-first`, takes the one token free in the sub-pool; says it
// has started (STARTED_FILE); then waits for one more token until it comes or
// `jobslot run` has answered twice since the wait began (the first answer may
// be to a look made before). Prints what ended the wait.
const WAITER = `
const { writeFileSync } = require('node:fs');
const { JobClient } = require(${JSON.stringify(join(CORE, 'index.cjs'))});
const { poolRefusals } = require(${JSON.stringify(join(CORE, 'plugin.cjs'))});
const client = JobClient.fromEnv();
const refusals = poolRefusals();
if (!client.connected || !refusals) { console.log('no answers here', client.error?.message ?? ''); process.exit(2); }
const first = process.argv.includes('take-first') ? client.tryAcquire() : null;
if (process.argv.includes('take-first') && !first) { console.log('no token to take first'); process.exit(3); }
writeFileSync(process.env.STARTED_FILE, 'started');
const before = refusals.count();
const controller = new AbortController();
const look = setInterval(() => { if (refusals.count() >= before + 2) controller.abort(); }, 25);
client.acquire({ signal: controller.signal }).then(
  (token) => { console.log('waiter: token'); token.release(); },
  () => console.log('waiter: answered, none coming'),
).finally(() => { clearInterval(look); first?.release(); client.close(); });
`;

describe.skipIf(!built).each(available)('jobslot run under make $version: a waiter it cannot serve is told so', (make) => {
  async function runCase(options: { jobs: number; max?: number; takeFirst?: boolean; holders: number }) {
    const dir = tempDir('jobslot-refusals-');
    const started = join(dir, 'started');
    const done = join(dir, 'done');
    const trace = join(dir, 'trace.jsonl');
    writeFileSync(join(dir, 'waiter.cjs'), WAITER);
    // Holders keep make's tokens until the waiter has its answer (or its token).
    const holders = Array.from({ length: options.holders }, (_, i) => `hold${i + 1}`);
    const makefile = [
      `all: ${[...holders, 'run'].join(' ')}`,
      `.PHONY: all ${[...holders, 'run'].join(' ')}`,
      ...holders.map((h) => `${h}:\n\t@while [ ! -f ${sh(done)} ]; do sleep 0.05; done`),
      // The holders start first (make starts prerequisites in order); the waiter waits only once they hold.
      `run:\n\t+@STARTED_FILE=${sh(started)} node ${sh(CLI)} run${options.max ? ` --max ${options.max}` : ''} -- node ${sh(join(dir, 'waiter.cjs'))}${options.takeFirst ? ' take-first' : ''}; status=$$?; touch ${sh(done)}; exit $$status`,
      '',
    ].join('\n');
    const r = await runMake({ make, dir, jobs: options.jobs, makefile, env: { JOBSLOT_TRACE: trace }, timeoutMs: 60_000 });
    const output = r.stdout + r.stderr;
    expect(r.timedOut, output).toBeUndefined();
    expect(r.code, output).toBe(0);
    expect(r.leakLine, output).toBeUndefined();
    expect(analyzeTrace(readTrace(trace), options.jobs).unreturned).toBe(0);
    return output;
  }

  it('none free above: every token of make -j2 held by its other job, the waiter is answered and gets none', async () => {
    const output = await runCase({ jobs: 2, holders: 1 });
    expect(output).toContain('waiter: answered, none coming');
  });

  it('holding its -jN already (--max 2, the one extra token taken by the waiter itself): the waiter is answered', async () => {
    const output = await runCase({ jobs: 4, max: 2, takeFirst: true, holders: 0 });
    expect(output).toContain('waiter: answered, none coming');
  });

  it('a token free above: the waiter gets it, no answer needed', async () => {
    const output = await runCase({ jobs: 2, holders: 0 });
    expect(output).toContain('waiter: token');
  });
});
