// Signals that have reached the process but not yet its JavaScript (Linux,
// main thread).
//
// Node runs a signal listener only when the event loop turns: libuv's C
// handler writes a message ({ handle, signum }) to the loop's signal pipe and
// the loop reads it later. jobslot listens for SIGINT, SIGTERM and SIGHUP
// (exit.ts) so that a death by signal gives tokens back, but a listener
// replaces node's default action: a signal that comes while the program is in
// synchronous code (blocked in acquireSync, or minifying for seconds) would
// wait for the loop, and be lost if the process ended before the loop turned.
//
// So we find that pipe and look into it without taking anything (tee(2)
// copies what waits in a pipe, consuming none of it): the synchronous paths
// (acquireSync's wait, a token given back, the process's exit) can then see a
// termination signal still waiting and die of it, as node would have.
//
// The pipe is found once, by experiment: the read end of a pipe of ours that
// grows by one message when we send ourselves SIGURG (ignored by default;
// posix.ts listens for it anyway, and a spurious wake-up costs nothing). If
// none does, nothing changes: the signal waits for the event loop as before.
import type { Libc } from '../ffi/libc.js';
import { fs, os } from '../builtins.js';

const { readdirSync, readlinkSync } = fs;

/** libuv's uv__signal_msg_t: a handle pointer, then the int signal number, padded to two pointers. */
const POINTER = ['ia32', 'arm'].includes(process.arch) ? 4 : 8;
const MESSAGE = 2 * POINTER;

const TERMINATING: Partial<Record<number, NodeJS.Signals>> = {
  [os.constants.signals.SIGINT]: 'SIGINT',
  [os.constants.signals.SIGTERM]: 'SIGTERM',
  [os.constants.signals.SIGHUP]: 'SIGHUP',
};

/** The signal numbers waiting in `fd`, oldest first (copies them through `scratch`, a pipe of our own). */
function peek(libc: Libc, fd: number, scratch: Int32Array): number[] {
  const waiting = libc.pending(fd);
  if (waiting < MESSAGE) return [];
  const copied = libc.tee(fd, scratch[1]!, waiting);
  if (copied <= 0) return [];
  const bytes = Buffer.alloc(copied);
  let got = 0;
  while (got < copied) {
    const n = libc.read(scratch[0]!, bytes.subarray(got), copied - got);
    if (n <= 0) break;
    got += n;
  }
  const signals: number[] = [];
  const le = os.endianness() === 'LE';
  for (let at = 0; at + MESSAGE <= got; at += MESSAGE) signals.push(le ? bytes.readInt32LE(at + POINTER) : bytes.readInt32BE(at + POINTER));
  return signals;
}

/**
 * Finds libuv's signal pipe and returns a function that names a termination
 * signal waiting in it (undefined if none), or undefined if it cannot be found.
 * `listen` makes sure a listener for SIGURG is in place.
 */
export function pendingSignalPeek(libc: Libc, listen: () => void): (() => NodeJS.Signals | undefined) | undefined {
  if (process.platform !== 'linux') return undefined;
  const { F_GETFL, F_SETFL, O_ACCMODE, O_RDONLY, O_NONBLOCK } = libc.constants;
  const scratch = new Int32Array(2);
  if (libc.pipe(scratch) !== 0) return undefined;
  for (const fd of scratch) libc.fcntl(fd, F_SETFL, libc.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
  const before = new Map<number, number>();
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd === scratch[0] || fd === scratch[1]) continue;
    try {
      if (!readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:[')) continue;
    } catch {
      continue; // readdir's own fd, or closed meanwhile
    }
    if ((libc.fcntl(fd, F_GETFL, 0) & O_ACCMODE) !== O_RDONLY) continue;
    before.set(fd, libc.pending(fd));
  }
  listen();
  // Sent to ourselves, it is handled (written to the pipe) before kill() returns.
  process.kill(process.pid, 'SIGURG');
  const SIGURG = os.constants.signals.SIGURG;
  for (const [fd, had] of before) {
    if (libc.pending(fd) !== had + MESSAGE) continue;
    if (peek(libc, fd, scratch).at(-1) !== SIGURG) continue;
    return () => {
      for (const signum of peek(libc, fd, scratch)) {
        const name = TERMINATING[signum];
        if (name) return name;
      }
      return undefined;
    };
  }
  libc.close(scratch[0]!);
  libc.close(scratch[1]!);
  return undefined;
}
