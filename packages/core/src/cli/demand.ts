// Does anything beneath `jobslot run` wait for a token of its sub-pool?
//
// A jobserver cannot see its readers: an empty pool looks the same whether
// a sub-make waits on it or the command (tsc, whose GOMAXPROCS was fixed at
// start) will never read it. Taking an outer token on an empty pool alone
// took one for nobody, gave it back 0.2 s later and took it again (5 times in
// 1.8 s under tsc, 69 in 30 s under rollup). So on Linux we look in /proc at
// the processes beneath us that hold the sub-pool's fifo open, and count
// one as waiting when:
// - it watches the fifo with O_ASYNC set: a jobslot client on its main thread
//   waiting for a token (posix.ts, signal-driven I/O), or
// - one of its threads is in read() on the fifo (cargo's jobserver crate,
//   make's blocking read), or in poll/select (make 4.x's pselect, a
//   jobslot client's poll() on the threadpool or in a worker).
// Elsewhere (no /proc) there is no probe, and run.ts grows on an empty pool.
//
// When the command runs in this process (in-process.ts), this process is
// looked at too, but only for a client waiting with O_ASYNC or a thread in
// read() on the fifo: a poll or select names no fd we could check, and this
// process always has threads of its own waiting (the tool's runtimes), so
// counting them would take tokens for nobody. A jobslot client of the
// command's in one of its worker threads (poll on the threadpool) is not seen:
// it waits for a token to come free beneath instead.
import { readFileSync, readlinkSync } from 'node:fs';
import { fdFlags, fdsWhere } from '../posix/proc.js';
import { canListChildren, descendants, threadsOf } from './proc-tree.js';

const O_ASYNC = 0o20000;
/**
 * Every descriptor of a process is looked at again after this long. In
 * between, only descriptors with numbers new since the last look are: a
 * client that connects (opens the fifo) and at once waits for a token (a
 * minimizer pass topping up its pool) is seen at the next look, also where the
 * process already had the fifo open (descriptors inherited in pipe style: a
 * jobslot client reopens its own, private one, and waits on that). A number
 * closed and reused for the fifo between two looks is seen only after this
 * long: the waiter waits that much longer (a top-up waits for our answer, not
 * for a clock: posix/refusals.ts).
 */
const FD_CACHE_MS = 1000;
/** The processes beneath are listed again after this long (a new one waits at most this much longer). */
const TREE_CACHE_MS = 500;

/** Syscall numbers by architecture: the read, and the waits that name no fd in their first argument. */
const SYSCALLS: Partial<Record<NodeJS.Architecture, { read: number; waits: number[] }>> = {
  // read; poll, select, pselect6, ppoll
  x64: { read: 0, waits: [7, 23, 270, 271] },
  // read; pselect6, ppoll (arm64 has no poll or select)
  arm64: { read: 63, waits: [72, 73] },
};

/** A probe saying whether something beneath this process waits on `fifo`; undefined where it cannot look. */
export function demandProbe(fifo: string, { self = false }: { self?: boolean } = {}): (() => boolean) | undefined {
  const calls = SYSCALLS[process.arch];
  if (process.platform !== 'linux' || !calls || !canListChildren()) return undefined;
  const cache = new Map<number, { at: number; links: Map<string, boolean> }>();
  const fdsOnFifo = (pid: number, now: number): number[] => {
    let hit = cache.get(pid);
    if (!hit || now - hit.at >= FD_CACHE_MS) {
      hit = { at: now, links: new Map() };
      cache.set(pid, hit);
    }
    // Keyed by /proc/PID/fd/N; a descriptor closed while we look (readlink throws) is skipped, not kept.
    const { links } = hit;
    const open = new Set<string>();
    const fds = fdsWhere(pid, (fdPath) => {
      open.add(fdPath);
      let onFifo = links.get(fdPath);
      if (onFifo === undefined) links.set(fdPath, (onFifo = readlinkSync(fdPath) === fifo));
      return onFifo;
    });
    for (const fdPath of links.keys()) if (!open.has(fdPath)) links.delete(fdPath);
    return fds ?? []; // gone, or not ours to read
  };
  let tree: number[] = [];
  let treeAt = -Infinity;
  return () => {
    const now = Date.now();
    if (now - treeAt >= TREE_CACHE_MS) {
      // Walking the tree reads a file per thread: the costly part, so not on every look.
      tree = descendants(process.pid);
      treeAt = now;
      const alive = new Set(tree);
      for (const pid of cache.keys()) if (!alive.has(pid)) cache.delete(pid);
    }
    for (const pid of tree) {
      const fds = fdsOnFifo(pid, now);
      if (fds.length === 0) continue;
      if (fds.some((fd) => asyncOn(pid, fd)) || threadsOf(pid).some((tid) => waitsIn(pid, tid, fds, calls))) return true;
    }
    if (self) {
      const pid = process.pid;
      const fds = fdsOnFifo(pid, now);
      if (fds.some((fd) => asyncOn(pid, fd)) || threadsOf(pid).some((tid) => waitsIn(pid, tid, fds, { read: calls.read, waits: [] }))) return true;
    }
    return false;
  };
}

function asyncOn(pid: number, fd: number): boolean {
  return ((fdFlags(pid, fd) ?? 0) & O_ASYNC) !== 0;
}

function waitsIn(pid: number, tid: string, fds: number[], calls: { read: number; waits: number[] }): boolean {
  let words: string[];
  try {
    // "NR ARG1 ARG2 ..." in a syscall, "running" or "-1 ..." otherwise.
    words = readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ');
  } catch {
    return false;
  }
  const nr = Number(words[0]);
  if (nr === calls.read) return fds.includes(Number.parseInt(words[1] ?? '', 16));
  return calls.waits.includes(nr);
}
