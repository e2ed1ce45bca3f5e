// Every slot in the report (issue 22, item 1): what `jobslot run` holds for
// its command and what `jobslot -j` hands out are written to the trace, so a
// native recipe shows in `jobslot report`; and `jobslot run` takes a token
// only when something beneath it waits for one (no churn). Concurrency is
// also counted by the recipes' own start/end lines, not only by the trace.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';
import { CLI, cleanEnv, makeBins, peakFromLog, ROOT, run, runMake, sh, tempDir } from './support/index.js';

const { available } = makeBins();

/** A recipe line that logs its start and end around `command` (ids for peakFromLog). */
const logged = (log: string, id: string, command: string) =>
  `@echo "start ${id} $$(date +%s.%N)" >> ${sh(log)}; ${command}; echo "end ${id} $$(date +%s.%N)" >> ${sh(log)}`;

/** `jobslot report` as a user runs it: its text, and the numbers read back from it. */
async function report(trace: string, ...args: string[]) {
  const r = await run('node', [CLI, 'report', ...args, trace], { cwd: join(trace, '..'), env: process.env });
  const peak = /peak slots\s+(\d+)(?: of -j(\d+))?/.exec(r.stdout);
  const span = /span\s+([\d.]+) s/.exec(r.stdout);
  const churn = /churn\s+(\d+) token/.exec(r.stdout);
  return { ...r, peak: Number(peak?.[1]), jobs: Number(peak?.[2]), spanS: Number(span?.[1]), churn: churn ? Number(churn[1]) : undefined };
}

describe.each(available)('make $version', (make) => {
  it('-j2, two `+jobslot run -- sh -c "sleep 1"`: the report says peak 2 of -j2 over at least 0.9 s', async () => {
    const dir = tempDir('jobslot-report-');
    const trace = join(dir, 'trace.jsonl');
    const log = join(dir, 'jobs.log');
    const recipe = (id: string) => `\t+${logged(log, id, `node ${CLI} run -- sh -c "sleep 1"`)}`;
    const r = await runMake({ make, dir, jobs: 2, makefile: `all: a b\na:\n${recipe('a')}\nb:\n${recipe('b')}\n`, env: { JOBSLOT_TRACE: trace } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.leakLine).toBeUndefined();
    // The recipes' own clocks: both ran at once.
    expect(peakFromLog(readFileSync(log, 'utf8'))).toEqual({ peak: 2, jobs: 2 });
    const out = await report(trace);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.peak, out.stdout).toBe(2);
    expect(out.jobs, out.stdout).toBe(2);
    expect(out.spanS, out.stdout).toBeGreaterThanOrEqual(0.9);
    expect(out.stdout).toMatch(/tokens returned\s+all/);
    expect(out.churn, out.stdout).toBe(0);
  });

  it('`jobslot -j 2 -- make`: make\'s own jobs (plain sleeps) fill the pool, and the report counts them: peak 2 of -j2, every slot seen', async () => {
    const dir = tempDir('jobslot-report-');
    const trace = join(dir, 'trace.jsonl');
    const log = join(dir, 'jobs.log');
    writeFileSync(join(dir, 'Makefile'), `all: a b c\na b c:\n\t${logged(log, '$@', 'sleep 0.6')}\n`);
    const r = await run('node', [CLI, '-j', '2', '--', make.bin], { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: trace }) });
    expect(r.code, r.stderr).toBe(0);
    expect(peakFromLog(readFileSync(log, 'utf8'))).toEqual({ peak: 2, jobs: 3 });
    const analysis = analyzeTrace(readTrace(trace));
    expect(analysis.complete).toBe(true);
    expect(analysis.children.filter((c) => c.label === 'sleep')).toHaveLength(3);
    const out = await report(trace);
    expect(out.peak, out.stdout).toBe(2);
    expect(out.jobs, out.stdout).toBe(2);
    expect(out.spanS, out.stdout).toBeGreaterThanOrEqual(1.1);
  });

  it('`jobslot -j 2 -- make` whose jobs are node scripts: the report names each `node` (node 24 and up name their main thread "MainThread", which /proc shows)', async () => {
    const dir = tempDir('jobslot-report-');
    const trace = join(dir, 'trace.jsonl');
    writeFileSync(join(dir, 'Makefile'), `all: a b c\na b c:\n\t@node -e "setTimeout(() => {}, 600)"\n`);
    const r = await run('node', [CLI, '-j', '2', '--', make.bin], { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: trace }) });
    expect(r.code, r.stderr).toBe(0);
    const analysis = analyzeTrace(readTrace(trace));
    expect(analysis.children.filter((c) => c.cmd.startsWith('node -e')).map((c) => c.label)).toEqual(['node', 'node', 'node']);
  });

  it('no churn: a `jobslot run` whose command reads no jobserver (-j3, started with fewer) takes no token that comes free while it runs', async () => {
    const dir = tempDir('jobslot-report-');
    const trace = join(dir, 'trace.jsonl');
    // The siblings hold make's other slots at first, so jobslot run starts with fewer than -j3;
    // their tokens come free 0.5 s later, while `sleep 3` (no jobserver client) runs.
    const makefile = `all: s1 s2 wrapped\ns1 s2:\n\t@sleep 0.5\nwrapped:\n\t+@sleep 0.05; node ${CLI} run -- sleep 3\n`;
    const r = await runMake({ make, dir, jobs: 3, makefile, env: { JOBSLOT_TRACE: trace } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.leakLine).toBeUndefined();
    const events = readTrace(trace);
    const wrapper = events.find((e) => e.ev === 'connect' && e.name === 'jobslot')!.pid;
    // The wrapper's own client lines: tokens it took from make once its command ran
    // (those it took at the start, before its first 'hold' line, its command's pools were sized to).
    const started = events.find((e) => e.pid === wrapper && e.ev === 'hold')!.t;
    const taken = events.filter((e) => e.pid === wrapper && e.ev === 'acquire' && e.t > started);
    const out = await report(trace);
    expect(out.churn, out.stdout).toBe(0);
    expect(taken, JSON.stringify(taken)).toHaveLength(0);
  });

  it('demand still grows the sub-pool: a sub-make waiting on it gets the token that comes free', async () => {
    const dir = tempDir('jobslot-report-');
    const trace = join(dir, 'trace.jsonl');
    const log = join(dir, 'jobs.log');
    writeFileSync(join(dir, 'sub.mk'), `all: x y\nx y:\n\t${logged(log, '$@', 'sleep 1')}\n`);
    const makefile = `all: sibling wrapped\nsibling:\n\t@sleep 0.3\nwrapped:\n\t+@sleep 0.05; node ${CLI} run -- $(MAKE) -s -f sub.mk\n`;
    const r = await runMake({ make, dir, jobs: 2, makefile, env: { JOBSLOT_TRACE: trace } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.leakLine).toBeUndefined();
    // Both of the sub-make's jobs ran at once: the token freed at 0.3 s went to it.
    expect(peakFromLog(readFileSync(log, 'utf8'))).toEqual({ peak: 2, jobs: 2 });
    const out = await report(trace);
    expect(out.peak, out.stdout).toBe(2);
  });

  it('demand still grows the sub-pool: a jobslot client beneath (its limiter waiting on the fifo) gets the token that comes free', async () => {
    const dir = tempDir('jobslot-report-');
    const trace = join(dir, 'trace.jsonl');
    const log = join(dir, 'tasks.log');
    const child = join(ROOT, 'test/fixtures/core/run-child.mjs');
    // 120 tasks of 20 ms: 2.4 s on one slot. The sibling's token comes free at 0.4 s.
    const makefile = `all: sibling wrapped\nsibling:\n\t@sleep 0.4\nwrapped:\n\t+@node ${CLI} run -- node ${child} 120\n`;
    const r = await runMake({ make, dir, jobs: 2, makefile, env: { JOBSLOT_TRACE: trace, TASK_LOG: log } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.leakLine).toBeUndefined();
    const [childReport] = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { maxRunning: number });
    expect(childReport!.maxRunning, r.stdout).toBe(2);
    expect(peakFromLog(readFileSync(log, 'utf8')).peak).toBe(2);
    const out = await report(trace);
    expect(out.peak, out.stdout).toBe(2);
  });
});
