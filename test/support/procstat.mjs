// Samples a process tree from /proc: runnable threads, processes, resident
// memory. Plain JS so that both the benchmarks (node) and the tests (vitest,
// which import it from test/support) use this one copy. bench/ depends on
// test/ (its fixtures and this support), never the other way round.
import { readdirSync, readFileSync } from 'node:fs';

/** @typedef {{ pid: number, ppid: number, comm: string, rssKb: number }} ProcInfo */

/** @returns {ProcInfo | undefined} */
function readProc(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is the state, [1] the ppid, [21] the RSS in pages
    return { pid, ppid: Number(fields[1]), comm, rssKb: Number(fields[21]) * 4 };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root`, and root itself. @returns {ProcInfo[]} */
export function processTree(root) {
  const all = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const info = readProc(pid);
    if (info) all.push(info);
  }
  const children = new Map();
  for (const p of all) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const out = [];
  const rootInfo = all.find((p) => p.pid === root);
  const stack = rootInfo ? [rootInfo] : [];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** The process group of `pid` (field 5 of /proc/PID/stat), or undefined if it is gone. */
function processGroup(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/**
 * SIGKILLs `root`, every descendant of it, and every process in its process
 * group (for a group leader: orphans that were reparented away from the tree
 * stay in the group). The tree is listed first, then each process stopped
 * (SIGSTOP) so none forks while the rest are found, then all are killed.
 */
export function killTree(root) {
  const seen = new Set();
  for (let round = 0; round < 3; round++) {
    const found = processTree(root).map((p) => p.pid);
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (Number.isInteger(pid) && pid !== process.pid && processGroup(pid) === root) found.push(pid);
    }
    const fresh = found.filter((pid) => !seen.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      seen.add(pid);
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {}
    }
  }
  try {
    process.kill(-root, 'SIGKILL');
  } catch {}
  for (const pid of seen) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  return [...seen];
}

/** Names of the threads of `pid` in state R (running or runnable). @returns {string[]} */
export function runnableThreads(pid) {
  return runnableTasks(pid).map((t) => t.name);
}

/** The threads of `pid` in state R (running or runnable): task id and name. @returns {{ tid: number, name: string }[]} */
export function runnableTasks(pid) {
  const out = [];
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat[close + 2] === 'R') out.push({ tid: Number(tid), name: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/** @param {number[]} sorted @param {number} q */
export function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * A process's proportional set size in kB: its private pages, plus each
 * shared page divided by the processes sharing it (smaps_rollup). RSS counts
 * a shared page in full in every process, so summing RSS over many node
 * processes counts node's own pages once per process; PSS sums to what the
 * tree really holds. 0 if the process is gone.
 * @param {number} pid
 */
export function pssKbOf(pid) {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Samples the tree under `root` every `intervalMs` until stop(). `match`
 * counts processes by command name (minimizer workers, say). The sampling
 * process itself is left out of the counts. `pssEvery: n` also sums the
 * tree's PSS every n-th sample (reading smaps_rollup walks each process's
 * mappings, ~1 ms a process: too slow for every sample). `tasks: true` keeps
 * each sample's runnable threads as [pid, tid] pairs (`tasks`), for counting a
 * subset of them afterwards (those that run work, say, not a process's helpers).
 * @param {number} root
 * @param {{ intervalMs?: number, match?: RegExp, pssEvery?: number, tasks?: boolean }} [options]
 */
export function startSampler(root, options = {}) {
  const samples = [];
  let tick = 0;
  const timer = setInterval(() => {
    const tree = processTree(root).filter((p) => p.pid !== process.pid);
    let runnable = 0;
    let rssKb = 0;
    let matching = 0;
    const tasks = options.tasks ? [] : undefined;
    for (const p of tree) {
      const running = runnableTasks(p.pid);
      runnable += running.length;
      for (const t of tasks ? running : []) tasks.push([p.pid, t.tid]);
      rssKb += p.rssKb;
      if (options.match?.test(p.comm)) matching++;
    }
    const pssKb = options.pssEvery && tick++ % options.pssEvery === 0 ? tree.reduce((sum, p) => sum + pssKbOf(p.pid), 0) : undefined;
    samples.push({ t: Date.now(), runnable, processes: tree.length, rssKb, pssKb, matching, tasks });
  }, options.intervalMs ?? 10);
  return {
    samples,
    stop() {
      clearInterval(timer);
      const runnable = samples.map((s) => s.runnable).sort((a, b) => a - b);
      return {
        samples: samples.length,
        runnable: { p50: percentile(runnable, 0.5), p95: percentile(runnable, 0.95), max: runnable.at(-1) ?? 0 },
        peakRssKb: Math.max(0, ...samples.map((s) => s.rssKb)),
        peakPssKb: Math.max(0, ...samples.map((s) => s.pssKb ?? 0)),
        peakMatching: Math.max(0, ...samples.map((s) => s.matching)),
      };
    },
  };
}
