import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeTrace } from '../src/report/analyze.js';
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
    expect(svg.match(/>pid \d+</g)).toHaveLength(2); // no names in this hand-made trace
    expect(svg).toContain('-j3');
    const over = spawnSync('node', [cli, 'report', '--jobs', '2', trace], { encoding: 'utf8' });
    expect(over.status).toBe(1);
    expect(over.stdout).toMatch(/OVER THE LIMIT/);
  });
});
