// Samples a process tree from /proc: runnable threads, processes, resident memory.
// Used by the plugin tests (near-N checks) and the benchmarks.
import { readdirSync, readFileSync } from 'node:fs';

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  rssKb: number;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is state, [1] ppid, [21] rss in pages
    return { pid, ppid: Number(fields[1]), comm, rssKb: Number(fields[21]) * 4 };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (and root itself). */
export function processTree(root: number): ProcInfo[] {
  const all: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const info = readProc(pid);
    if (info) all.push(info);
  }
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const out: ProcInfo[] = [];
  const rootInfo = all.find((p) => p.pid === root);
  const stack = rootInfo ? [rootInfo] : [];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** Threads of `pid` in state R (running or runnable), with their names. */
export function runnableThreads(pid: number): string[] {
  const out: string[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat[close + 2] === 'R') out.push(stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

export interface Sample {
  t: number;
  runnable: number;
  processes: number;
  rssKb: number;
  /** processes in the tree whose command name matches `match` */
  matching: number;
}

export interface SamplerSummary {
  samples: number;
  runnable: { p50: number; p95: number; max: number };
  peakRssKb: number;
  peakMatching: number;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Samples the tree under `root` every `intervalMs` until stop() is called.
 * `match` counts processes by command name (say, minimizer workers).
 * The sampler's own process is excluded from the runnable count.
 */
export function startSampler(root: number, options: { intervalMs?: number; match?: RegExp } = {}) {
  const samples: Sample[] = [];
  const timer = setInterval(() => {
    const tree = processTree(root).filter((p) => p.pid !== process.pid);
    let runnable = 0;
    let rssKb = 0;
    let matching = 0;
    for (const p of tree) {
      runnable += runnableThreads(p.pid).length;
      rssKb += p.rssKb;
      if (options.match?.test(p.comm)) matching++;
    }
    samples.push({ t: Date.now(), runnable, processes: tree.length, rssKb, matching });
  }, options.intervalMs ?? 10);
  return {
    samples,
    stop(): SamplerSummary {
      clearInterval(timer);
      const runnable = samples.map((s) => s.runnable).sort((a, b) => a - b);
      return {
        samples: samples.length,
        runnable: { p50: percentile(runnable, 0.5), p95: percentile(runnable, 0.95), max: runnable.at(-1) ?? 0 },
        peakRssKb: Math.max(0, ...samples.map((s) => s.rssKb)),
        peakMatching: Math.max(0, ...samples.map((s) => s.matching)),
      };
    },
  };
}
