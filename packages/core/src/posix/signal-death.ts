// Main thread, Linux: tokens held by worker threads go back when the process
// dies of a signal (escrow.ts keeps them in C stdio buffers that exit() would
// flush; death by a signal runs no exit()). Registered with core's exit hooks
// (exit.ts), which run it last, after every releaser.
import { fs } from '../builtins.js';
import { beforeSignalDeath, watchPendingSignals } from '../exit.js';
import type { Libc } from '../ffi/libc.js';
import { processRecord } from '../state.js';
import { pendingSignalPeek } from './pending-signal.js';
import { listenForWakeSignal } from './wake.js';

const { constants: fsc, fstatSync, openSync, readdirSync } = fs;

/** The jobservers this process reads (device:inode), for onSignalDeath. */
function jobservers(): Set<string> {
  return processRecord('posix.signal-death', () => new Set<string>(), { keep: true });
}

/**
 * Main thread, Linux: when the process is about to die of a signal, give back
 * the tokens its worker threads hold. They sit in C stdio buffers (escrow.ts)
 * that exit() would flush, but death by a signal runs no exit(). First every
 * read end of the jobserver in the process, whichever thread opened it,
 * becomes /dev/null, so no thread can take a token that would die with the
 * process (the flush itself wakes waiting workers, which would take the bytes
 * it writes); then every stream is flushed, which writes the escrowed bytes
 * back.
 */
export function onSignalDeath(libc: Libc, readFd: number): void {
  const readers = jobservers();
  const first = readers.size === 0;
  const { dev, ino } = fstatSync(readFd);
  readers.add(`${dev}:${ino}`);
  if (!first) return;
  const peek = pendingSignalPeek(libc, listenForWakeSignal);
  if (peek) watchPendingSignals(peek);
  beforeSignalDeath(() => {
    const { F_GETFL, O_ACCMODE, O_RDONLY } = libc.constants;
    const nothing = openSync('/dev/null', fsc.O_RDONLY);
    for (const name of readdirSync('/proc/self/fd')) {
      const fd = Number(name);
      if (fd === nothing) continue;
      try {
        const stats = fstatSync(fd);
        if (!readers.has(`${stats.dev}:${stats.ino}`)) continue;
      } catch {
        continue; // closed meanwhile, or readdir's own fd
      }
      if ((libc.fcntl(fd, F_GETFL, 0) & O_ACCMODE) === O_RDONLY) libc.dup2(nothing, fd);
    }
    libc.stdio().flushAll();
  });
}

