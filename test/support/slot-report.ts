// What `jobslot report` says of a traced make run, for the tests of the
// README's recipes: every slot `jobslot run` held should be in it (issue 22).
import { join } from 'node:path';
import { expect } from 'vitest';
import { analyzeTrace, readTrace } from '@jobslot/core/trace';

/** A trace file in `dir`, and the environment that writes it. */
export function traceIn(dir: string): { trace: string; env: { JOBSLOT_TRACE: string } } {
  const trace = join(dir, 'jobslot-trace.jsonl');
  return { trace, env: { JOBSLOT_TRACE: trace } };
}

/**
 * The report of a make -jJOBS run of one `jobslot run` recipe that took
 * `wallMs` by the test's clock: peak JOBS of -jJOBS (jobslot run held both
 * slots), a span of most of the run (at least 60% of the wall time: make's
 * and node's start-up come before the first line, and a rolldown build takes
 * about 1 s), no token churn. Before, the span was 0.01 s and the peak 0.
 */
export function expectRecipeReported(trace: string, jobs: number, wallMs: number): void {
  const report = analyzeTrace(readTrace(trace));
  const summary = JSON.stringify({ peak: report.peak, jobs: report.jobs, spanMs: report.spanMs, wallMs, churn: report.churn });
  expect(report.peak, summary).toBe(jobs);
  expect(report.jobs, summary).toBe(jobs);
  expect(report.unreturned, summary).toBe(0);
  expect(report.spanMs, summary).toBeGreaterThanOrEqual(0.6 * wallMs);
  expect(report.churn, summary).toBe(0);
}
