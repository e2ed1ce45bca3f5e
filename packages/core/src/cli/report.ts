// `jobslot report [--jobs N] [--svg OUT] TRACE`: what a JOBSLOT_TRACE file says.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { analyzeTrace } from '../report.js';
import { renderSvg } from '../svg.js';
import { readTrace } from '../trace.js';

export function formatReport(file: string, options: { jobs?: number; svg?: string } = {}): { text: string; ok: boolean } {
  const report = analyzeTrace(readTrace(file), options.jobs);
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
