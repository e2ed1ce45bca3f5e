// Beneath `jobslot run --max 3`, a command (not make, cargo or ninja) puts a
// fifo of its own on fds 3 and 4, where MAKEFLAGS says the jobserver is, and
// starts 16 jobslot clients. JOBSLOT_POOL still names the run's pool and the
// run is their ancestor: that pool is their budget. Reading the command's
// fifo instead, each believed it owned an implicit slot, and 16 ran at once.
// Counted from the clients' own start/end logs. `--style pipe`: beneath make
// 4.4.1, `jobslot run` would otherwise hand its command the fifo style (a path
// in MAKEFLAGS, as make 4.4.1 did), and fds 3/4 would not be where MAKEFLAGS
// says the jobserver is.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, peakFromLog, ROOT, runMake, tempDir } from './support/index.js';

const CHILD = join(ROOT, 'test/fixtures/core/run-child.mjs');

describe.each(makeBins().available)('make $version ($style)', (make) => {
  it('16 clients on fds 3/4 that are not the pool JOBSLOT_POOL names: they use the pool, at most 3 at once, and say so', async () => {
    const dir = tempDir();
    const log = join(dir, 'tasks.log');
    const fifo = join(dir, 'other');
    const script = `mkfifo ${fifo}; exec 3<>${fifo} 4<>${fifo}; for i in $$(seq 16); do node ${CHILD} 2 & done; wait`;
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${CLI} run --max 3 --style pipe -- sh -c '${script}'\n`, env: { TASK_LOG: log }, timeoutMs: 60_000 });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    const { peak, jobs } = peakFromLog(existsSync(log) ? readFileSync(log, 'utf8') : '');
    expect(jobs, output).toBe(32);
    expect(peak, output).toBeLessThanOrEqual(3);
    expect(result.leakLine, output).toBeUndefined();
    const reports = result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { warnings: string[] });
    expect(reports).toHaveLength(16);
    for (const r of reports) expect(r.warnings.join('\n')).toMatch(/not the pool .*JOBSLOT_POOL.*using that pool/);
  });
});
