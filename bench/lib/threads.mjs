// Samples a build's process tree from /proc, thread by thread: which threads
// are runnable (state R), how many threads there are, the tree's resident
// memory, and the CPU time each process has used. Every runnable thread is
// put in a class (the tool's main thread, V8's helper threads, esbuild's Go
// threads, ...), so a benchmark can show what still runs above the tokens.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { v8HelperThreads } from '@jobslot/core/plugin';
import { percentile, processTree, pssKbOf } from '../../test/support/procstat.mjs';


const TICKS_PER_S = 100; // USER_HZ: /proc reports CPU time in these on Linux
const PID_MAX = (() => {
  try {
    return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  } catch {
    return 32768;
  }
})();

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The fields of a /proc stat line after the command name: [0] state, [11] utime, [12] stime, [17] threads. */
function statFields(text) {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * The live processes under `root` (root included), found through each
 * thread's /proc children list: the cost grows with the tree, not with every
 * process on the machine (a shared machine has hundreds). Falls back to a
 * scan of /proc where the kernel has no children lists.
 * @returns {{ pid: number, comm: string, rssKb: number }[]}
 */
function tree(root) {
  if (!hasChildrenLists) return processTree(root);
  const out = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    const stat = read(`/proc/${pid}/stat`);
    if (!stat) continue;
    const f = statFields(stat);
    out.push({ pid, comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), rssKb: Number(f[21]) * 4, stat: f });
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {}
    for (const tid of tids) {
      for (const child of (read(`/proc/${pid}/task/${tid}/children`) ?? '').split(' ')) if (child) stack.push(Number(child));
    }
  }
  return out;
}
const hasChildrenLists = read(`/proc/${process.pid}/task/${process.pid}/children`) !== undefined;

/** What a process of the tree is, from its command line. */
export function processKind(comm, cmdline) {
  if (comm === 'esbuild') return 'esbuild (Go)';
  if (comm === 'make' || comm === 'sh' || comm === 'bash' || comm === 'time') return 'make, sh';
  // The jobslot command names itself (process.title) once it runs.
  if (comm === 'jobslot' || /(\bjobslot|\/core\/dist\/cli\.js)\s+run\b/.test(cmdline)) return 'jobslot run';
  if (/jest-worker|processChild/.test(cmdline)) return 'webpack minimizer worker';
  if (/webpack/.test(cmdline)) return 'webpack';
  if (/vite/.test(cmdline)) return 'vite';
  if (/build\.mjs/.test(cmdline)) return 'esbuild (node)';
  return comm;
}

/** V8's platform pool in a node process, as node read it from its command line and NODE_OPTIONS (core's reader). */
function v8PoolSize(pid) {
  const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
  const nodeOptions = (read(`/proc/${pid}/environ`) ?? '').split('\0').find((v) => v.startsWith('NODE_OPTIONS='));
  // Its whole command line stands for node's options: a script's own argument of that name is not seen here.
  return v8HelperThreads(nodeOptions?.slice('NODE_OPTIONS='.length), argv.slice(1), availableParallelism());
}

/**
 * The class of a thread of a node process, from the order threads were made
 * (node names them all "node"): the main thread first, then V8's platform (a
 * delayed-task thread and the --v8-pool-size workers that run GC and
 * compilation jobs), then node's signal thread, then whatever starts later
 * (libuv's threadpool, worker_threads, a native addon's threads).
 */
function nodeThreadClass(rank, pool) {
  if (rank === 0) return 'main';
  if (rank <= pool + 1) return 'V8 helpers';
  return 'libuv, workers, native';
}

/**
 * One sample of the tree under `root` (the sampling process left out).
 * `known` caches what does not change in a process (its kind, V8 pool size).
 */
function sampleTree(root, known) {
  const out = { runnable: 0, threads: 0, rssKb: 0, byClass: new Map(), cpu: new Map(), pids: [] };
  for (const p of tree(root)) {
    if (p.pid === process.pid) continue;
    out.pids.push(p.pid);
    let info = known.get(p.pid);
    let execed = false;
    // Looked at again while unknown: a process seen between fork and exec has no command line yet.
    if (!info || info.comm !== p.comm || info.kind === info.comm) {
      const cmdline = (read(`/proc/${p.pid}/cmdline`) ?? '').split('\0').join(' ');
      // A node process may have renamed its main thread (webpack sets process.title).
      let node = false;
      try {
        node = /\/node$/.test(readlinkSync(`/proc/${p.pid}/exe`));
      } catch {}
      info = { comm: p.comm, node, kind: processKind(p.comm, cmdline), pool: node ? v8PoolSize(p.pid) : 0, cwd: info?.cwd };
      known.set(p.pid, info);
      execed = true;
    }
    // Which app's recipe it serves (tools keep the recipe's cwd): read until it could be, and again
    // when the process execs (a recipe's shell seen before its `cd dir &&` execs the tool in dir:
    // same pid, a new comm); the earlier one is kept where it cannot be read now (it has ended).
    if (execed || info.cwd === undefined) {
      try {
        info.cwd = readlinkSync(`/proc/${p.pid}/cwd`);
      } catch {}
    }
    const f = p.stat ?? statFields(read(`/proc/${p.pid}/stat`) ?? ') R');
    out.cpu.set(p.pid, { kind: info.kind, cwd: info.cwd, ticks: Number(f[11]) + Number(f[12]) });
    out.rssKb += p.rssKb;
    let tids;
    try {
      tids = readdirSync(`/proc/${p.pid}/task`).map(Number);
    } catch {
      continue;
    }
    out.threads += tids.length;
    // Creation order: tids grow from the pid, wrapping at pid_max.
    tids.sort((a, b) => ((a - p.pid + PID_MAX) % PID_MAX) - ((b - p.pid + PID_MAX) % PID_MAX));
    tids.forEach((tid, rank) => {
      const t = read(`/proc/${p.pid}/task/${tid}/stat`);
      if (!t || t[t.lastIndexOf(')') + 2] !== 'R') return;
      out.runnable++;
      // A thread its maker named (rolldown's, say) goes by that name.
      const name = t.slice(t.indexOf('(') + 1, t.lastIndexOf(')'));
      const what = info.node
        ? // Threads made after node set process.title (webpack does) carry the new name.
          name === 'node' || name === p.comm || rank === 0 ? nodeThreadClass(rank, info.pool) : name
        : rank === 0 ? 'main' : name !== p.comm ? name : 'threads';
      const cls = `${info.kind}: ${what}`;
      out.byClass.set(cls, (out.byClass.get(cls) ?? 0) + 1);
    });
  }
  return out;
}

/**
 * Samples the tree under `root` every `intervalMs` until stop().
 * `queued(t)` says whether work was waiting at time t (epoch ms); the
 * summary's idle core-seconds count the cores below `cores` that no runnable
 * thread of the tree used while it did.
 * @param {number} root
 * @param {{ intervalMs?: number, cores: number }} options
 */
export function startThreadSampler(root, { intervalMs = 20, cores }) {
  const known = new Map();
  const samples = [];
  /** The last CPU time seen per process (kept after it exits). */
  const cpu = new Map();
  let n = 0;
  const tick = () => {
    const s = sampleTree(root, known);
    for (const [pid, c] of s.cpu) cpu.set(pid, c);
    // PSS every 5th sample: smaps_rollup walks each process's mappings (~1 ms a process).
    const pssKb = n++ % 5 === 0 ? s.pids.reduce((sum, pid) => sum + pssKbOf(pid), 0) : undefined;
    samples.push({ t: Date.now(), runnable: s.runnable, threads: s.threads, rssKb: s.rssKb, pssKb, byClass: s.byClass });
  };
  const timer = setInterval(tick, intervalMs);
  return {
    /** @param {(t: number) => boolean} [queued] */
    stop(queued = () => false) {
      clearInterval(timer);
      tick();
      const runnable = samples.map((s) => s.runnable).sort((a, b) => a - b);
      const p95 = percentile(runnable, 0.95);
      let idleMs = 0;
      for (let i = 1; i < samples.length; i++) {
        const s = samples[i];
        if (queued(s.t)) idleMs += Math.max(0, cores - s.runnable) * (s.t - samples[i - 1].t);
      }
      // Runnable threads per class: on average over the run, and in the samples at or above p95.
      const classes = new Map();
      const top = samples.filter((s) => s.runnable >= p95);
      for (const [list, key] of [[samples, 'mean'], [top, 'atP95']]) {
        for (const s of list) {
          for (const [cls, n] of s.byClass) {
            const c = classes.get(cls) ?? { mean: 0, atP95: 0 };
            c[key] += n / list.length;
            classes.set(cls, c);
          }
        }
      }
      const cpuByKind = new Map();
      for (const { kind, ticks } of cpu.values()) cpuByKind.set(kind, (cpuByKind.get(kind) ?? 0) + ticks / TICKS_PER_S);
      // By working directory and kind: "DIR\tKIND" -> CPU s (an app's recipes run in its own directory).
      const cpuByCwd = new Map();
      for (const { kind, cwd, ticks } of cpu.values()) {
        const key = `${cwd ?? '?'}\t${kind}`;
        cpuByCwd.set(key, (cpuByCwd.get(key) ?? 0) + ticks / TICKS_PER_S);
      }
      return {
        samples: samples.length,
        runnable: { p50: percentile(runnable, 0.5), p95, max: runnable.at(-1) ?? 0 },
        peakThreads: Math.max(0, ...samples.map((s) => s.threads)),
        peakRssKb: Math.max(0, ...samples.map((s) => s.rssKb)),
        // RSS counts a page shared by many processes (node's own, in every node process) once per
        // process; PSS divides it among them, so it sums to what the tree really holds.
        peakPssKb: Math.max(0, ...samples.map((s) => s.pssKb ?? 0)),
        cpuS: [...cpuByKind.values()].reduce((a, b) => a + b, 0),
        cpuByKind,
        cpuByCwd,
        idleCoreS: idleMs / 1000,
        classes,
      };
    },
  };
}

/**
 * Starts `command` with its output collected, and samples its tree
 * (startThreadSampler) from the start: `done` resolves when it ends, with
 * its exit code, output and wall time; stop the sampler then.
 */
export function spawnSampled(command, args, options, { intervalMs = 20, cores }) {
  const started = Date.now();
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const sampler = startThreadSampler(child.pid, { intervalMs, cores });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, output, wallS: (Date.now() - started) / 1000 })));
  return { done, sampler };
}
