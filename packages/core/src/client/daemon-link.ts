// A jobslot client of `jobslot serve`'s fifo tells the daemon, over the
// daemon's socket, each token it takes ('+') and gives back ('-'). The daemon
// counts them per connection; when the connection closes (the process ended,
// SIGKILL included: the kernel closes the socket), whatever it still counted
// goes back into the fifo. make, cargo and ninja read the same fifo without
// telling anyone; see cli/daemon.ts for what happens to theirs.
//
// The order keeps the unavoidable window on the safe side: '+' is sent just
// after the byte is read, '-' just after it is written back. A process killed
// between the two syscalls leaves the pool one short (made whole when nobody
// holds the fifo open) or one over (drained by the daemon), never for good.
// Writes on a connected unix socket go out at once (libuv tries the write
// before queueing it), so the window is that of two syscalls.
//
// Main thread only: a worker thread's tokens already sit in an escrow that
// gives them back when the thread ends (escrow.ts), and a second count here
// would return them twice.
import { createRequire } from 'node:module';
import type { Backend, TakeResult } from '../backend.js';
import { path, workerThreads } from '../builtins.js';

const require = createRequire(import.meta.url);

/**
 * The command line the daemon shows in `jobslot status`: the script and its
 * arguments, or the name the process gave itself (`jobslot run -- make`, not
 * `node .../dist/cli.js run -- make`).
 */
function commandLine(): string {
  const [, script, ...args] = process.argv;
  const named = process.title && !/(^|[\\/])node(\.exe)?$/i.test(process.title) && !process.title.includes(' ') ? process.title : undefined;
  const words = [named ?? path.basename(process.argv0 || 'node'), !named && script ? path.basename(script) : undefined, ...args].filter(Boolean);
  const line = words.join(' ');
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** `backend` (the daemon's fifo, opened) with each take and give told to the daemon at `socketPath`. */
export function linkToDaemon(backend: Backend, socketPath: string): Backend {
  if (!workerThreads().isMainThread) return backend;
  const net = require('node:net') as typeof import('node:net');
  const socket = net.createConnection(socketPath);
  // Never what keeps this process alive, and a daemon that went away is seen in the fifo, not here.
  socket.unref();
  socket.on('error', () => {});
  const send = (line: string) => {
    if (!socket.destroyed) socket.write(`${line}\n`);
  };
  send(`hello ${JSON.stringify({ pid: process.pid, command: commandLine() })}`);
  const linked: Backend = {
    style: backend.style,
    take(): TakeResult {
      const result = backend.take();
      if (typeof result === 'number') send('+');
      return result;
    },
    give(byte) {
      backend.give(byte);
      send('-');
    },
    watch: (onReady) => backend.watch(onReady),
    waitSync: (timeoutMs) => backend.waitSync(timeoutMs),
    idle: () => backend.idle(),
    close() {
      backend.close();
      socket.end();
    },
  };
  if (backend.gone) linked.gone = () => backend.gone!();
  return linked;
}
