// `jobslot report --svg`: a timeline of a trace, also the picture in the HTML
// report. The top panel is the slots in use (each counted once: see
// report.ts) and the tasks waiting for one, against a dashed line at -j, over
// the machine's CPU use when the trace sampled it; below it, one lane per
// process: jobslot clients, `jobslot run` and `jobslot -j` processes, and the
// processes seen beneath them without a trace of their own (make's jobs). One
// time axis, from the trace's first event to its last, ticked. A leaf over
// report.ts.
import type { ProcessSummary, TraceReport } from './analyze.js';

const WIDTH = 1100;
const LEFT = 230;
const RIGHT = 50;
const PANEL = 160;
const LANE = 18;
const GAP = 4;
const PLOT = WIDTH - LEFT - RIGHT;

const COLORS = {
  slots: '#4e79a7',
  waiting: '#f28e2b',
  runnable: '#222',
  limit: '#e15759',
  cpu: '#bdbdbd',
  client: '#59a14f',
  run: '#4e79a7',
  server: '#b07aa1',
  process: '#9c9c9c',
  life: '#ececec',
};

export function esc(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Ticks at 1, 2 or 5 times a power of ten, about `count` of them over [0, max]. */
export function ticks(max: number, count: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function kindLabel(p: ProcessSummary): string {
  return p.kind === 'run' ? 'jobslot run' : p.kind === 'server' ? 'jobslot -j' : (p.name ?? 'process');
}

/** What the command line says, shortened: the tool, not the path to node. */
export function shortCommand(cmd: string | undefined): string {
  if (!cmd) return '';
  return cmd.replace(/(^|\s)\S*\/node_modules\/(?:\.pnpm\/[^/\s]+\/node_modules\/)?/g, '$1').replace(/(^|\s)\/\S*\/(\S+)/g, '$1$2');
}

interface Lane {
  label: string;
  title: string;
  first: number;
  last: number;
  steps: Array<[number, number]>;
  color: string;
}

export function renderSvg(report: TraceReport, title = 'jobslot trace'): string {
  const t0 = report.start;
  const span = Math.max(1, report.end - t0);
  const x = (t: number) => LEFT + ((t - t0) / span) * PLOT;
  const lanes: Lane[] = [];
  for (const [pid, p] of report.perProcess) {
    const cmd = shortCommand(p.cmd);
    lanes.push({ label: `${kindLabel(p)} ${pid}`, title: `${kindLabel(p)} (pid ${pid})${cmd ? `: ${cmd}` : ''}`, first: p.first, last: p.last, steps: p.steps, color: COLORS[p.kind] });
  }
  for (const c of report.children) {
    lanes.push({ label: `${c.label} ${c.pid}`, title: `${c.label} (pid ${c.pid}, seen in /proc): ${c.cmd}`, first: c.start, last: c.end, steps: [], color: COLORS.process });
  }
  lanes.sort((a, b) => a.first - b.first);
  const maxWaiting = Math.max(0, ...report.timeline.map(([, , w]) => w));
  const maxRunnable = Math.max(0, ...report.cpu.map(([, , r]) => r));
  const slotsMax = Math.max(1, report.peak, report.jobs ?? 0, maxWaiting);
  // Runnable threads count the whole machine: on a busy one they would flatten
  // the slots, so the scale stops at twice the slots' and the line is clipped there.
  const yMax = Math.max(slotsMax, Math.min(maxRunnable, 2 * slotsMax));
  const laneMax = Math.max(1, report.jobs ?? 0, ...lanes.flatMap((l) => l.steps.map(([, n]) => n)));

  const top = 94;
  const lanesTop = top + PANEL + 44;
  const height = lanesTop + lanes.length * (LANE + GAP) + 40;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11" role="img" aria-label="${esc(title)}">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  const summary = `peak ${report.peak}${report.jobs ? ` of -j${report.jobs}` : ''} slots, ${report.unreturned === 0 ? 'every token returned' : `${report.unreturned} tokens NOT returned`}, ${(report.spanMs / 1000).toFixed(2)} s`;
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="10" y="36" fill="#555">${esc(summary)}</text>`);

  // Legend.
  const legend: Array<[string, string, 'area' | 'line' | 'dash' | 'dots']> = [
    ['slots in use', COLORS.slots, 'area'],
    ['tasks waiting for a slot', COLORS.waiting, 'line'],
    [report.jobs ? `-j${report.jobs}` : '-j', COLORS.limit, 'dash'],
    ...(report.cpu.length
      ? [['CPU busy (all cores, right axis)', '#bdbdbd', 'area'] as [string, string, 'area'], [`runnable threads (machine, /proc${maxRunnable > yMax ? `; up to ${maxRunnable}, clipped` : ''})`, COLORS.runnable, 'dots'] as [string, string, 'dots']]
      : []),
    ['jobslot client: slots run', COLORS.client, 'area'],
    ['jobslot run: slots held', COLORS.run, 'area'],
    ['jobslot -j: slots in use beneath', COLORS.server, 'area'],
    ['process seen in /proc', COLORS.process, 'area'],
  ];
  let lx = 10;
  let ly = 50;
  for (const [label, color, shape] of legend) {
    const width = 22 + label.length * 6;
    if (lx + width > WIDTH - 10) {
      lx = 10;
      ly += 16;
    }
    if (shape === 'area') out.push(`<rect x="${lx}" y="${ly}" width="12" height="10" fill="${color}"/>`);
    else out.push(`<line x1="${lx}" x2="${lx + 12}" y1="${ly + 5}" y2="${ly + 5}" stroke="${color}" stroke-width="${shape === 'dots' ? 1.5 : 2}"${shape === 'dash' ? ' stroke-dasharray="4 2"' : shape === 'dots' ? ' stroke-dasharray="1 2"' : ''}/>`);
    out.push(`<text x="${lx + 16}" y="${ly + 9}">${esc(label)}</text>`);
    lx += width;
  }

  // Time axis: gridlines through the panel and the lanes, labels at the bottom and under the panel.
  const spanS = span / 1000;
  const marks = ticks(spanS, 10).map((s) => ({ s, label: `${Number(s.toFixed(3))} s` }));
  // The axis ends where the trace does: say when, unless a tick already stands there.
  if (PLOT * (1 - marks.at(-1)!.s / spanS) > 40) marks.push({ s: spanS, label: `${spanS.toFixed(2)} s` });
  for (const { s, label } of marks) {
    const tx = LEFT + (s / spanS) * PLOT;
    out.push(`<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${top}" y2="${height - 28}" stroke="#eee"/>`);
    out.push(`<text x="${tx.toFixed(1)}" y="${top + PANEL + 14}" text-anchor="middle" fill="#777">${label}</text>`);
    out.push(`<text x="${tx.toFixed(1)}" y="${height - 14}" text-anchor="middle" fill="#777">${label}</text>`);
  }

  // The panel: CPU behind, slots in use, tasks waiting, -j.
  const y = (n: number) => top + PANEL - (n / yMax) * PANEL;
  out.push(`<rect x="${LEFT}" y="${top}" width="${PLOT}" height="${PANEL}" fill="none" stroke="#ccc"/>`);
  if (report.cpu.length) {
    out.push(`<path d="${cpuSteps(report, x, top)}" fill="${COLORS.cpu}" fill-opacity="0.7"/>`);
    out.push(`<text x="${WIDTH - RIGHT + 4}" y="${top + 4}" fill="#999">100%</text>`);
    out.push(`<text x="${WIDTH - RIGHT + 4}" y="${top + PANEL}" fill="#999">0%</text>`);
  }
  const series = (index: 1 | 2) => {
    let d = `M ${x(t0).toFixed(1)} ${y(0).toFixed(1)}`;
    for (const point of report.timeline) d += ` H ${x(point[0]).toFixed(1)} V ${y(point[index]).toFixed(1)}`;
    return d + ` H ${x(report.end).toFixed(1)}`;
  };
  // Translucent, so the CPU use behind shows through.
  out.push(`<path d="${series(1)} V ${y(0).toFixed(1)} Z" fill="${COLORS.slots}" fill-opacity="0.45" stroke="none"/>`);
  out.push(`<path d="${series(1)}" fill="none" stroke="#2b5d8a" stroke-width="2"/>`);
  if (maxWaiting > 0) out.push(`<path d="${series(2)}" fill="none" stroke="${COLORS.waiting}" stroke-width="2"/>`);
  // Threads ready to run on the whole machine (/proc/stat's procs_running), on the slots' scale:
  // what the slots are meant to keep near -j.
  if (maxRunnable > 0) {
    const d = report.cpu.map(([t, , r], i) => `${i ? 'L' : 'M'} ${x(t).toFixed(1)} ${y(Math.min(r, yMax)).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${COLORS.runnable}" stroke-width="1.5" stroke-dasharray="1 2"/>`);
  }
  for (const n of ticks(yMax, 5).filter(Number.isInteger)) {
    out.push(`<text x="${LEFT - 6}" y="${y(n) + 4}" text-anchor="end" fill="#777">${n}</text>`);
  }
  out.push(`<text x="10" y="${top + PANEL / 2}" fill="#333">slots (each counted once)</text>`);
  if (report.jobs) {
    const jy = y(report.jobs);
    out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${jy}" y2="${jy}" stroke="${COLORS.limit}" stroke-width="2" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${WIDTH - RIGHT - 2}" y="${jy - 4}" text-anchor="end" fill="${COLORS.limit}">-j${report.jobs}</text>`);
  }

  // One lane per process: its life in light grey, its slots over it.
  lanes.forEach((lane, i) => {
    const yTop = lanesTop + i * (LANE + GAP);
    out.push(`<g><title>${esc(lane.title)}</title>`);
    out.push(`<text x="10" y="${yTop + LANE / 2 + 4}" fill="#333">${esc(lane.label.slice(0, 34))}</text>`);
    const life = lane.steps.length ? COLORS.life : lane.color;
    out.push(`<rect x="${x(lane.first).toFixed(1)}" y="${yTop + (lane.steps.length ? 0 : LANE / 4)}" width="${Math.max(1, x(lane.last) - x(lane.first)).toFixed(1)}" height="${lane.steps.length ? LANE : LANE / 2}" fill="${life}"/>`);
    let prev: [number, number] | undefined;
    for (const step of [...lane.steps, [lane.last, 0] as [number, number]]) {
      if (prev && prev[1] > 0) {
        const h = (prev[1] / laneMax) * LANE;
        out.push(`<rect x="${x(prev[0]).toFixed(1)}" y="${(yTop + LANE - h).toFixed(1)}" width="${Math.max(0.5, x(step[0]) - x(prev[0])).toFixed(1)}" height="${h.toFixed(1)}" fill="${lane.color}"/>`);
      }
      prev = step;
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

/** The CPU samples as steps: each covers the time since the sample before it. */
function cpuSteps(report: TraceReport, x: (t: number) => number, top: number): string {
  const base = top + PANEL;
  let d = `M ${x(report.start).toFixed(1)} ${base}`;
  let prev = report.start;
  for (const [t, busy] of report.cpu) {
    d += ` H ${x(prev).toFixed(1)} V ${(base - busy * PANEL).toFixed(1)} H ${x(t).toFixed(1)}`;
    prev = t;
  }
  return `${d} V ${base} Z`;
}
