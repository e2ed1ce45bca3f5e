// `jobslot run` stands beside every build it wraps: while its command runs,
// each time it wakes to look at its sub-pool it costs a little CPU, and on a
// loaded machine each wake waits in the run queue and counts as a runnable
// thread (issue 24, items 3 and 4). While its pool is steady it looks every
// 100 ms, not every 20 ms.
//
// Counted independently of jobslot: the kernel's count of the times its main
// thread went to sleep of its own accord (voluntary_ctxt_switches in
// /proc/PID/status), over two seconds while its command sleeps, under real
// make 4.3 and 4.4.1 -j2 (its command has make's other token in its sub-pool,
// untouched). make's INTERNAL: line and the trace prove every token back.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, runMake, sh, tempDir } from './support/index.js';

const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});

function voluntarySwitches(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]);
}

async function waitForFile(path: string, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(path) || readFileSync(path, 'utf8').trim() === '') {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await delay(20);
  }
  return readFileSync(path, 'utf8').trim();
}

describe.skipIf(process.platform !== 'linux').each(available)('jobslot run under make $version -j2: its wakes while its command sleeps', (make) => {
  it('wakes at most 25 times a second (it looked every 20 ms: ~50)', async () => {
    const dir = tempDir('jobslot-wakes-');
    const started = join(dir, 'started');
    const done = join(dir, 'done');
    const trace = join(dir, 'trace.jsonl');
    // The command says who its parent (`jobslot run`) is once it runs, then sleeps until told to end.
    const command = `echo $$PPID > ${sh(started)}; while [ ! -f ${sh(done)} ]; do sleep 0.05; done`;
    const makefile = `all:\n\t+@node ${sh(CLI)} run -- sh -c ${sh(command)}\n`;
    const made = runMake({ make, dir, jobs: 2, makefile, env: { JOBSLOT_TRACE: trace }, timeoutMs: 60_000 });
    let rate: number;
    try {
      const pid = Number(await waitForFile(started, 30_000));
      // Past its start-up (its pool's first second), then two seconds counted.
      await delay(1500);
      const before = voluntarySwitches(pid);
      const t0 = performance.now();
      await delay(2000);
      const after = voluntarySwitches(pid);
      rate = ((after - before) * 1000) / (performance.now() - t0);
    } finally {
      writeFileSync(done, '');
    }
    const r = await made;
    const output = r.stdout + r.stderr;
    expect(r.timedOut, output).toBeUndefined();
    expect(r.code, output).toBe(0);
    expect(r.leakLine, output).toBeUndefined();
    expect(analyzeTrace(readTrace(trace), 2).unreturned).toBe(0);
    expect(rate).toBeLessThanOrEqual(25);
  });
});
