// `jobslot report [--jobs N] [--svg OUT] [--html OUT] [--chrome-trace OUT] TRACE`:
// what a JOBSLOT_TRACE file says.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { analyzeTrace } from '../report/analyze.js';
import { renderChromeTrace } from '../report/chrome-trace.js';
import { renderHtml } from '../report/html.js';
import { readTrace } from '../report/read.js';
import { renderSvg } from '../report/svg.js';
import type { TraceEvent } from '../trace.js';

/** A trace event as the client writes it: anything else in the file is not one. */
const isEvent = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && typeof (e as TraceEvent).pid === 'number' && typeof (e as TraceEvent).ev === 'string' && typeof (e as TraceEvent).t === 'number';

/** The report, or why there is none: a file that cannot be read or holds no trace events. */
export function formatReport(file: string, options: { jobs?: number; svg?: string; html?: string; chromeTrace?: string } = {}): { text: string; ok: boolean } | { error: string } {
  let events: TraceEvent[];
  try {
    events = readTrace(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    return { error: `cannot read ${file}: ${why}` };
  }
  if (!events.some(isEvent)) {
    return { error: `${file} is not a jobslot trace (no trace events in it); JOBSLOT_TRACE=FILE makes one` };
  }
  const report = analyzeTrace(events.filter(isEvent), options.jobs);
  const title = `jobslot report ${basename(file)}`;
  const written: string[] = [];
  const write = (label: string, out: string | undefined, render: () => string) => {
    if (!out) return;
    writeFileSync(out, render());
    written.push(`${label.padEnd(17)}${out}`);
  };
  write('timeline', options.svg, () => renderSvg(report, title));
  write('html', options.html, () => renderHtml(report, title));
  write('chrome trace', options.chromeTrace, () => JSON.stringify(renderChromeTrace(report)));
  const limit = report.jobs;
  const within = limit === undefined || report.peak <= limit;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const lines = [
    `trace            ${file}`,
    `processes        ${report.processes}${report.children.length ? ` (and ${report.children.length} beneath them without a trace)` : ''}`,
    `span             ${seconds(report.spanMs)}`,
    `peak slots       ${report.peak}${limit === undefined ? '' : ` of -j${limit}${within ? '' : '  OVER THE LIMIT'}`}`,
    `tokens returned  ${report.unreturned === 0 ? 'all' : `${report.unreturned} NOT RETURNED`}`,
    report.complete || report.idleWaitMs === 0
      ? `idle waiting     ${seconds(report.idleWaitMs)} with work queued while slots sat free`
      : // Under make, its own jobs (compilers, shell recipes) hold slots no trace line shows.
        `idle waiting     ${seconds(report.idleWaitMs)} with work queued while the traced processes held fewer than -j slots (make's own jobs are not in the trace and may have held the rest: run make as \`jobslot -j N -- make\` to see every slot)`,
  ];
  if (report.runSeconds > 0) {
    lines.push(`churn            ${report.churn} token${report.churn === 1 ? '' : 's'} taken and given back by jobslot run while its command ran (${(report.churn / report.runSeconds).toFixed(2)} per second)`);
  }
  for (const warning of report.warnings) lines.push(`warning          ${warning}`);
  lines.push(...written);
  return { text: lines.join('\n'), ok: within && report.unreturned === 0 };
}
