// `jobslot report [--jobs N] TRACE`: what a JOBSLOT_TRACE file says.
import { analyzeTrace } from '../report.js';
import { readTrace } from '../trace.js';

export function formatReport(file: string, jobs?: number): { text: string; ok: boolean } {
  const report = analyzeTrace(readTrace(file), jobs);
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
  return { text: lines.join('\n'), ok: within && report.unreturned === 0 };
}
