// `jobslot report --html FILE`: one self-contained page a person opens in a
// browser, after cargo's --timings: the summary, the timeline (svg.ts: slots
// in use and tasks waiting against -j over the CPU use, a lane per process),
// and a table of processes. No script, no stylesheet or font from a network:
// it opens from a mail attachment or a CI artifact as it is. A leaf over
// report.ts and svg.ts.
import type { TraceReport } from './analyze.js';
import { esc, kindLabel, renderSvg, shortCommand } from './svg.js';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 4px 16px; margin: 0; }
dl.summary dt { color: #555; }
dl.summary dd { margin: 0; font-weight: 600; }
.bad { color: #c0392b; }
.note { color: #555; font-weight: normal; }
.timeline { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.cmd { font-family: ui-monospace, monospace; font-size: 12px; max-width: 520px; overflow-wrap: anywhere; }
`;

export function renderHtml(report: TraceReport, title = 'jobslot report'): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const over = report.jobs !== undefined && report.peak > report.jobs;
  const rows: string[] = [];
  const all = [
    ...[...report.perProcess].map(([pid, p]) => ({
      first: p.first,
      cells: [kindLabel(p), String(pid), shortCommand(p.cmd), s(p.first - report.start), s(p.last - p.first), String(p.peak), p.waitingMs > 0 ? s(p.waitingMs) : '', String(p.acquired)],
    })),
    ...report.children.map((c) => ({ first: c.start, cells: [`${c.label} (seen in /proc)`, String(c.pid), c.cmd, s(c.start - report.start), s(c.end - c.start), '', '', ''] })),
  ].sort((a, b) => a.first - b.first);
  for (const { cells } of all) {
    const [tool, pid, cmd, ...numbers] = cells.map(esc);
    rows.push(`<tr><td>${tool}</td><td class="n">${pid}</td><td class="cmd">${cmd}</td>${numbers.map((n) => `<td class="n">${n}</td>`).join('')}</tr>`);
  }
  const idle = report.complete || report.idleWaitMs === 0
    ? `${s(report.idleWaitMs)}`
    : `${s(report.idleWaitMs)} <span class="note">(fewer than -j slots held by traced processes; make's own jobs are not in the trace: run make as <code>jobslot -j N -- make</code> to see every slot)</span>`;
  const summary: Array<[string, string]> = [
    ['peak slots', `<span${over ? ' class="bad"' : ''}>${report.peak}${report.jobs !== undefined ? ` of -j${report.jobs}${over ? ' (over the limit)' : ''}` : ''}</span>`],
    ['tokens returned', report.unreturned === 0 ? 'all' : `<span class="bad">${report.unreturned} not returned</span>`],
    ['work waited while slots sat free', idle],
    ['wall', s(report.spanMs)],
    ['processes', `${report.processes} traced${report.children.length ? `, ${report.children.length} more seen beneath them` : ''}`],
  ];
  if (report.runSeconds > 0) summary.push(['churn', `${report.churn} token${report.churn === 1 ? '' : 's'} taken and given back by <code>jobslot run</code> while its command ran`]);
  for (const w of report.warnings) summary.push(['warning', `<span class="bad">${esc(w)}</span>`]);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<section id="summary">
<h2>Summary</h2>
<dl class="summary">
${summary.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>
</section>
<section id="timeline">
<h2>Slots over time</h2>
<div class="timeline">
${renderSvg(report, title)}
</div>
</section>
<section id="processes">
<h2>Processes</h2>
<table>
<thead><tr><th>tool</th><th>pid</th><th>command</th><th>start</th><th>duration</th><th>slots held (peak)</th><th>time waiting for a slot</th><th>tokens taken</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>
</body>
</html>
`;
}
