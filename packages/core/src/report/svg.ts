// `jobslot report --svg`: a timeline of a trace. The top panel is the total of
// running slots across every process, with a dashed line at -j; below it, one
// lane per process showing the slots it held over time. A leaf over report.ts.
import type { TraceReport } from './analyze.js';

const WIDTH = 960;
const LEFT = 110;
const RIGHT = 20;
const TOTAL_HEIGHT = 140;
const LANE = 22;
const GAP = 6;

function esc(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

export function renderSvg(report: TraceReport, title = 'jobslot trace'): string {
  const processes = [...report.perProcess.entries()].filter(([, p]) => p.steps.length > 0).sort((a, b) => a[1].first - b[1].first);
  const t0 = Math.min(...processes.map(([, p]) => p.first), Infinity);
  const t1 = Math.max(...processes.map(([, p]) => p.last), -Infinity);
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => LEFT + ((t - t0) / span) * (WIDTH - LEFT - RIGHT);
  const maxSlots = Math.max(1, report.peak, report.jobs ?? 0);
  const laneMax = Math.max(1, ...processes.map(([, p]) => p.peak));
  const top = 40;
  const lanesTop = top + TOTAL_HEIGHT + 30;
  const height = lanesTop + processes.length * (LANE + GAP) + 30;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  const summary = `peak ${report.peak}${report.jobs ? ` of -j${report.jobs}` : ''}, ${report.unreturned === 0 ? 'every token returned' : `${report.unreturned} tokens NOT returned`}, ${(report.spanMs / 1000).toFixed(2)} s`;
  out.push(`<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="${LEFT}" y="34" fill="#555">${esc(summary)}</text>`);

  // Total slots over time: merge every process's steps.
  const events = processes.flatMap(([pid, p]) => p.steps.map(([t, a]) => ({ t, pid, a })));
  events.sort((a, b) => a.t - b.t);
  const current = new Map<number, number>();
  let total = 0;
  const yTotal = (n: number) => top + TOTAL_HEIGHT - (n / maxSlots) * TOTAL_HEIGHT;
  let path = `M ${x(t0)} ${yTotal(0)}`;
  for (const e of events) {
    path += ` H ${x(e.t).toFixed(1)}`;
    total += e.a - (current.get(e.pid) ?? 0);
    current.set(e.pid, e.a);
    path += ` V ${yTotal(total).toFixed(1)}`;
  }
  path += ` H ${x(t1)} V ${yTotal(0)} Z`;
  out.push(`<rect x="${LEFT}" y="${top}" width="${WIDTH - LEFT - RIGHT}" height="${TOTAL_HEIGHT}" fill="#f6f6f6"/>`);
  out.push(`<path d="${path}" fill="#4e79a7" fill-opacity="0.7" stroke="#2b5d8a"/>`);
  for (let n = 0; n <= maxSlots; n++) {
    out.push(`<text x="${LEFT - 6}" y="${yTotal(n) + 4}" text-anchor="end" fill="#777">${n}</text>`);
  }
  out.push(`<text x="10" y="${top + TOTAL_HEIGHT / 2}" fill="#333">all slots</text>`);
  if (report.jobs) {
    const y = yTotal(report.jobs);
    out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#e15759" stroke-width="2" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${WIDTH - RIGHT}" y="${y - 4}" text-anchor="end" fill="#e15759">-j${report.jobs}</text>`);
  }

  // One lane per process.
  processes.forEach(([pid, p], i) => {
    const yTop = lanesTop + i * (LANE + GAP);
    out.push(`<rect x="${LEFT}" y="${yTop}" width="${WIDTH - LEFT - RIGHT}" height="${LANE}" fill="#f6f6f6"/>`);
    const label = p.name ? `${p.name.slice(0, 11)} ${pid}` : `pid ${pid}`;
    out.push(`<text x="6" y="${yTop + LANE / 2 + 4}" fill="#333">${esc(label)}</text>`);
    let prev: [number, number] | undefined;
    for (const step of [...p.steps, [p.last, 0] as [number, number]]) {
      if (prev && prev[1] > 0) {
        const h = (prev[1] / laneMax) * LANE;
        out.push(`<rect x="${x(prev[0]).toFixed(1)}" y="${(yTop + LANE - h).toFixed(1)}" width="${Math.max(0.5, x(step[0]) - x(prev[0])).toFixed(1)}" height="${h.toFixed(1)}" fill="#59a14f"/>`);
      }
      prev = step;
    }
  });
  const axisY = height - 12;
  out.push(`<text x="${LEFT}" y="${axisY}" fill="#777">0 s</text>`);
  out.push(`<text x="${WIDTH - RIGHT}" y="${axisY}" text-anchor="end" fill="#777">${(span / 1000).toFixed(2)} s</text>`);
  out.push('</svg>');
  return out.join('\n');
}
