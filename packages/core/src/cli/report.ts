// `jobslot report [--jobs N] [--svg OUT] TRACE`: what a JOBSLOT_TRACE file says.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { analyzeTrace } from '../report/analyze.js';
import { renderSvg } from '../report/svg.js';
import { readTrace } from '../report/read.js';
import type { TraceEvent } from '../trace.js';

/** A trace event as the client writes it: anything else in the file is not one. */
const isEvent = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && typeof (e as TraceEvent).pid === 'number' && typeof (e as TraceEvent).ev === 'string' && typeof (e as TraceEvent).t === 'number';

/** The report, or why there is none: a file that cannot be read or holds no trace events. */
export function formatReport(file: string, options: { jobs?: number; svg?: string } = {}): { text: string; ok: boolean } | { error: string } {
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
  if (options.svg) writeFileSync(options.svg, renderSvg(report, `jobslot report ${basename(file)}`));
  const limit = report.jobs;
  const within = limit === undefined || report.peak <= limit;
  const lines = [
    `trace            ${file}`,
    `processes        ${report.processes}`,
    `span             ${(report.spanMs / 1000).toFixed(2)} s`,
    `peak slots       ${report.peak}${limit === undefined ? '' : ` of -j${limit}${within ? '' : '  OVER THE LIMIT'}`}`,
    `tokens returned  ${report.unreturned === 0 ? 'all' : `${report.unreturned} NOT RETURNED`}`,
    `idle waiting     ${(report.idleWaitMs / 1000).toFixed(2)} s with work queued while slots sat free`,
  ];
  for (const warning of report.warnings) lines.push(`warning          ${warning}`);
  if (options.svg) lines.push(`timeline         ${options.svg}`);
  return { text: lines.join('\n'), ok: within && report.unreturned === 0 };
}
