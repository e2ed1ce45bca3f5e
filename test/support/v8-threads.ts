// V8's platform worker threads in a running node process, counted from /proc
// alone. Node 24 and up name them ("V8Worker"; "node-V8Worker" from 26): then
// they are counted by name. Node 20 names all its threads "node" (22 only its
// delayed-task thread), so there they are found by what they wait on. A node
// process makes its
// threads in this order: the main thread; V8's platform, that is a
// delayed-task thread and then the --v8-pool-size workers; node's signal
// thread; later whatever starts later (libuv's threadpool, worker_threads).
// The platform workers, idle, all wait on one condition variable, which no
// other thread waits on: in /proc/PID/task/TID/syscall, 202 (futex on
// x86_64) and its first argument, the address of one of the condition
// variable's two adjacent 4-byte words (glibc's __g_signals[2], in one
// 8-byte-aligned block). So they are the threads waiting on the block the
// first thread after the delayed-task one waits on.
import { readdirSync, readFileSync } from 'node:fs';

const PID_MAX = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
const FUTEX = '202';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The process's threads in the order they were made (tids grow from the pid, wrapping at pid_max). */
function threadsInOrder(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`)
    .map(Number)
    .sort((a, b) => ((a - pid + PID_MAX) % PID_MAX) - ((b - pid + PID_MAX) % PID_MAX));
}

/** Node 24's and 26's names for V8's platform workers. */
const V8_WORKER = /^(?:node-)?V8Worker$/;

/** One look: the platform workers waiting at this instant (one busy on a job is not counted, unless they have names). */
function idlePlatformWorkers(pid: number): { workers: number; threads: number } {
  const tids = threadsInOrder(pid);
  const names = tids.map((tid) => (read(`/proc/${pid}/task/${tid}/comm`) ?? '').trim());
  if (names.some((name) => V8_WORKER.test(name))) return { workers: names.filter((name) => V8_WORKER.test(name)).length, threads: tids.length };
  const futexOf = (tid: number) => {
    const f = (read(`/proc/${pid}/task/${tid}/syscall`) ?? '').split(' ');
    // The condition variable: the 8-byte block of the word waited on.
    return f[0] === FUTEX && f[1] ? BigInt(f[1]) >> 3n : undefined;
  };
  const queue = tids[2] === undefined ? undefined : futexOf(tids[2]);
  const workers = queue === undefined ? 0 : tids.slice(2).filter((tid) => futexOf(tid) === queue).length;
  return { workers, threads: tids.length };
}

/**
 * V8's platform workers in process `pid`: the most seen idle over `looks` looks `gapMs` apart
 * (a worker busy on a GC job at one look is idle at another; a look never counts one too many).
 * Also the process's thread count.
 */
export async function v8PlatformWorkers(pid: number, looks = 10, gapMs = 10): Promise<{ workers: number; threads: number }> {
  let best = { workers: 0, threads: 0 };
  for (let i = 0; i < looks; i++) {
    if (i) await new Promise((r) => setTimeout(r, gapMs));
    const now = idlePlatformWorkers(pid);
    if (now.workers >= best.workers) best = now;
  }
  return best;
}
