import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeTrace } from '../src/report/analyze.js';
import { renderSvg } from '../src/report/svg.js';
import type { TraceEvent } from '../src/trace.js';

const ev = (pid: number, t: number, e: TraceEvent['ev'], extra: Partial<TraceEvent> = {}): TraceEvent => ({ pid, ppid: 1, t, ev: e, ...extra });

describe('analyzeTrace', () => {
  it('sums running slots across processes at each moment', () => {
    const r = analyzeTrace([
      ev(1, 0, 'slot-start', { active: 1 }),
      ev(2, 1, 'slot-start', { active: 1 }),
      ev(1, 2, 'slot-start', { active: 2 }),
      ev(2, 3, 'slot-end', { active: 0 }),
      ev(1, 4, 'slot-end', { active: 0 }),
    ]);
    expect(r.peak).toBe(3);
    expect(r.processes).toBe(2);
  });

  it('counts tokens acquired and never released, and lost ones', () => {
    const r = analyzeTrace([ev(1, 0, 'acquire'), ev(1, 1, 'acquire'), ev(1, 2, 'release'), ev(2, 3, 'acquire'), ev(2, 4, 'lost')]);
    expect(r.unreturned).toBe(2);
  });

  it('measures time with work queued while fewer than -j slots ran', () => {
    const r = analyzeTrace(
      [ev(1, 0, 'slot-start', { active: 1, pending: 2 }), ev(1, 100, 'slot-start', { active: 2, pending: 1 }), ev(1, 150, 'slot-end', { active: 1, pending: 0 })],
      2,
    );
    expect(r.idleWaitMs).toBe(100);
  });
});

describe('analyzeTrace: every slot once', () => {
  it('counts what `jobslot run` holds, and a client beneath it within that, not again', () => {
    const r = analyzeTrace([
      ev(10, 0, 'connect', { jobs: 2 }),
      ev(10, 1, 'hold', { held: 1 }),
      ev(11, 2, 'hold', { held: 1 }),
      // A jobslot client beneath pid 10, running on its sub-pool.
      ev(12, 3, 'slot-start', { active: 1, under: 10 }),
      ev(10, 4, 'hold', { held: 2 }),
      ev(12, 5, 'slot-start', { active: 2 }),
      ev(12, 6, 'slot-end', { active: 0 }),
      ev(10, 7, 'hold', { held: 1 }),
      ev(10, 8, 'hold', { held: 0 }),
      ev(11, 9, 'hold', { held: 0 }),
    ]);
    expect(r.peak).toBe(3);
    expect(r.jobs).toBe(2);
    expect(r.perProcess.get(12)!.under).toBe(10);
    expect(r.perProcess.get(10)!.kind).toBe('run');
    // 2 -> 1 while its command ran: one token taken and given back; 1 -> 0 is the end.
    expect(r.churn).toBe(1);
    expect(r.complete).toBe(false);
  });

  it('counts a `jobslot -j` pool as its command\'s slot plus the tokens out, whoever holds them, and then knows every slot', () => {
    const r = analyzeTrace(
      [
        ev(1, 0, 'server', { jobs: 3 }),
        ev(1, 1, 'pool', { out: 0 }),
        ev(1, 2, 'pool', { out: 2 }),
        ev(5, 3, 'slot-start', { active: 1, pending: 1, under: 1 }),
        ev(1, 4, 'pool', { out: 1 }),
        ev(5, 5, 'slot-end', { active: 0, pending: 0 }),
        ev(1, 6, 'proc-start', { child: 7, label: 'cc1', message: 'cc1 x.c' }),
        ev(1, 8, 'proc-end', { child: 7, label: 'cc1' }),
        ev(1, 9, 'pool', { out: 0 }),
      ],
      3,
    );
    expect(r.peak).toBe(3);
    expect(r.complete).toBe(true);
    // Work waited from 3 to 5 while the pool had 2 of 3 slots out.
    expect(r.idleWaitMs).toBe(1);
    expect(r.children).toEqual([{ pid: 7, parent: 1, label: 'cc1', cmd: 'cc1 x.c', start: 6, end: 8 }]);
    expect(r.timeline.at(-1)).toEqual([9, 1, 0]);
  });
});

describe('trace: whose pool a process runs on', () => {
  const dist = join(__dirname, '../dist/trace.js');
  const firstLine = (env: Record<string, string>) => {
    const file = join(mkdtempSync(join(tmpdir(), 'jobslot-under-')), 't.jsonl');
    const script = `import { trace } from ${JSON.stringify(dist)}; trace('connect');`;
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('JOBSLOT_')));
    execFileSync('node', ['--input-type=module', '-e', script], { env: { ...clean, ...env, JOBSLOT_TRACE: file } });
    return JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as TraceEvent;
  };

  it('from JOBSLOT_TRACE_UNDER, else from JOBSLOT_POOL (turbo\'s strict env mode passes only that one through)', () => {
    expect(firstLine({ JOBSLOT_TRACE_UNDER: '4242', JOBSLOT_POOL: '77:/tmp/jobslot-x/fifo' }).under).toBe(4242);
    expect(firstLine({ JOBSLOT_POOL: '77:/tmp/jobslot-x/fifo' }).under).toBe(77);
    expect(firstLine({ JOBSLOT_POOL: 'not a hint' }).under).toBeUndefined();
    expect(firstLine({}).under).toBeUndefined();
  });
});

describe('renderSvg', () => {
  it('one time axis from the first event to the last, ticked; a legend; a lane for every process, wrappers and make\'s jobs included', () => {
    const r = analyzeTrace([
      ev(1, 1000, 'server', { jobs: 2 }),
      ev(1, 1001, 'pool', { out: 1 }),
      ev(2, 1100, 'hold', { held: 1, under: 1, name: 'jobslot' }),
      ev(3, 1200, 'slot-start', { active: 1, under: 2, name: 'rollup' }),
      ev(1, 1300, 'proc-start', { child: 9, label: 'cc1', message: 'cc1 x.c' }),
      ev(3, 2500, 'slot-end', { active: 0 }),
      ev(1, 2900, 'proc-end', { child: 9, label: 'cc1' }),
      ev(2, 2950, 'hold', { held: 0 }),
      ev(1, 2990, 'pool', { out: 0 }),
    ]);
    const svg = renderSvg(r, 't');
    // 1.99 s in the title and at the axis's end, with ticks between (the old axis ended at the last slot event).
    expect(svg).toContain('1.99 s');
    for (const tick of ['0 s', '0.4 s', '1 s', '1.8 s']) expect(svg).toContain(`>${tick}<`);
    expect(svg.match(/>1\.99 s</g)).toHaveLength(2); // under the panel and under the lanes
    for (const entry of ['slots in use', 'tasks waiting for a slot', '-j2', 'jobslot run: slots held', 'process seen in /proc']) expect(svg).toContain(`>${entry}<`);
    expect(svg).toContain('>jobslot -j 1<');
    expect(svg).toContain('>jobslot run 2<');
    expect(svg).toContain('>rollup 3<');
    expect(svg).toContain('>cc1 9<');
    expect(svg.match(/<title>/g)).toHaveLength(4);
  });
});

describe('jobslot report', () => {
  const cli = join(__dirname, '../dist/cli.js');
  it('prints the summary, fails when the peak is over -j, and draws an SVG with a lane per process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobslot-report-'));
    const trace = join(dir, 't.jsonl');
    writeFileSync(
      trace,
      [ev(1, 0, 'slot-start', { active: 2 }), ev(2, 1, 'slot-start', { active: 1 }), ev(1, 2, 'slot-end', { active: 0 }), ev(2, 3, 'slot-end', { active: 0 })]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
    const ok = execFileSync('node', [cli, 'report', '--jobs', '3', '--svg', join(dir, 't.svg'), trace], { encoding: 'utf8' });
    expect(ok).toMatch(/peak slots\s+3 of -j3/);
    expect(ok).toMatch(/tokens returned\s+all/);
    const svg = readFileSync(join(dir, 't.svg'), 'utf8');
    expect(svg.match(/>process \d+</g)).toHaveLength(2); // no names in this hand-made trace
    expect(svg).toContain('-j3');
    const over = spawnSync('node', [cli, 'report', '--jobs', '2', trace], { encoding: 'utf8' });
    expect(over.status).toBe(1);
    expect(over.stdout).toMatch(/OVER THE LIMIT/);
  });
});
