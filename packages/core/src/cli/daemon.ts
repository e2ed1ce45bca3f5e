// `jobslot serve -j N`: one jobserver for every build this user starts, in
// whatever shell, CI job or agent: a per-user daemon.
//
// The pool is a fifo (make 4.4's style) in the user's private endpoint
// directory (daemon-endpoint.ts), so make 4.4, ninja 1.13, cargo and
// jobslot's clients all read it as `--jobserver-auth=fifo:PATH` (`jobslot env`
// prints the lines), and `jobslot run` outside make joins it. Beside it, a
// unix socket:
// - jobslot clients say there what they take and give back (daemon-link.ts);
//   the daemon counts per connection, and when a connection closes (its
//   process ended, SIGKILL included) what it still held goes back to the fifo
//   at once;
// - `jobslot env`, `jobslot status` and `jobslot run` ask it what it serves.
// Tokens read by make, cargo or ninja straight from the fifo cannot be
// attributed to anyone. The daemon knows how many are out (N, less those in
// the fifo, held by its clients and held back); when no process but the
// daemon holds the fifo open (Linux: /proc/*/fd), nobody can hold a token, so
// whatever is missing was lost by a process that died, and goes back.
// Likewise tokens beyond N (a client that gave back more than it took) are
// taken out again.
//
// Each `jobslot run` also registers as a build ('build' on a connection of
// its own) and is told its fair share, N / builds running, whenever that
// changes (join-daemon.ts, run.ts): above it, it gives back tokens as they
// come free in its sub-pool.
//
// With --load-average L or --min-memory SIZE, tokens are held back while the
// 1-minute load is above L or available memory below SIZE (as make's -l and
// steve do): the daemon takes free tokens out of the fifo, keeping at least
// one in circulation, so a build that runs already keeps its slot and one
// more build can always start. When below the limits again, one held-back
// token goes back a second (the load average lags: all at once would
// overshoot).
//
// SIGTERM, SIGINT and SIGHUP end it with exit code 0, its fifo, socket, lock
// and directory removed. A second daemon for the same user finds the lock
// taken and exits 1, saying which pid runs.
import { chmodSync, closeSync, constants as fsc, fstatSync, ftruncateSync, lstatSync, openSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { freemem, loadavg } from 'node:os';
import { join } from 'node:path';
import { DAEMON_FIFO, DAEMON_LOCK, DAEMON_SOCKET, endpointDir, ensureEndpointDir } from '../client/daemon-endpoint.js';
import { loadLibc } from '../ffi/libc.js';
import { argvOf, fdsLinkedTo } from '../posix/proc.js';
import { MAX_JOBS } from '../posix/server.js';
import type { DaemonClientInfo, DaemonInfo } from './daemon-ask.js';
import { formatSize } from './size.js';
import { ffiMissing } from './words.js';

export interface DaemonOptions {
  jobs: number;
  /** Hold tokens back while the 1-minute load average is above this. */
  loadAverage?: number;
  /** Hold tokens back while available memory (bytes) is below this. */
  minMemory?: number;
}

/** How often the fifo is looked at: tokens beyond N, tokens lost, the limits. */
const TICK_MS = 250;
/** How often /proc is searched for the fifo's holders while tokens are out unattributed. */
const SCAN_MS = 1000;
/** Below the limits again: one held-back token back this often. */
const RELEASE_MS = 1000;
/** The longest request line a client may send. */
const MAX_LINE = 4096;

interface Connection {
  socket: Socket;
  pid?: number;
  command?: string;
  tokens: number;
  since: number;
  /** A `jobslot run` (a build) listening for its fair share: it holds no tokens on this connection. */
  build?: boolean;
}

/** Available memory in bytes: MemAvailable on Linux (what the kernel can give without swapping), else free memory. */
export function availableMemory(): number {
  if (process.platform === 'linux') {
    try {
      const kb = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
      if (kb) return Number(kb) * 1024;
    } catch {
      // fall through
    }
  }
  return freemem();
}

/** The command line of a process, from /proc (Linux), shortened for one line. */
function commandOf(pid: number): string {
  const words = argvOf(pid)?.filter(Boolean);
  if (!words) return '?';
  const line = words.map((w, i) => (i === 0 ? w.replace(/^.*\//, '') : w)).join(' ');
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * Processes other than this one that hold `fifo` open (Linux, from /proc;
 * only this user's processes can open it, and only theirs are readable).
 * undefined where /proc cannot tell.
 */
function fifoHolders(fifo: string, firstOnly: boolean): { pid: number; command: string }[] | undefined {
  if (process.platform !== 'linux') return undefined;
  // While a build runs, the process found last time most likely holds it
  // still: look there first, and the search costs a handful of syscalls.
  if (firstOnly && lastHolder !== undefined) {
    if (holdsOpen(String(lastHolder), fifo)) return [{ pid: lastHolder, command: '' }];
    lastHolder = undefined;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const holders: { pid: number; command: string }[] = [];
  for (const name of pids) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    if (!holdsOpen(name, fifo)) continue;
    holders.push({ pid: Number(name), command: firstOnly ? '' : commandOf(Number(name)) });
    if (firstOnly) {
      lastHolder = Number(name);
      return holders;
    }
  }
  return holders;
}

let lastHolder: number | undefined;

/** Whether process `pid` has `fifo` open (by the path /proc shows for each descriptor, unlinked or not). */
function holdsOpen(pid: string, fifo: string): boolean {
  return fdsLinkedTo(pid, [fifo, `${fifo} (deleted)`]).length > 0;
}

/** One line on stderr (a service manager's journal): what the daemon did on its own. */
function say(message: string): void {
  process.stderr.write(`jobslot serve: ${message}\n`);
}

const tokensWord = (n: number) => `${n} token${n === 1 ? '' : 's'}`;

function fail(message: string): never {
  process.stderr.write(`jobslot serve: ${message}\n`);
  process.exit(1);
}

/** Runs the daemon until SIGTERM, SIGINT or SIGHUP. */
export async function serveDaemon(options: DaemonOptions): Promise<void> {
  const { jobs } = options;
  if (process.platform === 'win32') {
    fail('not available on Windows yet (a named semaphore the daemon owns is the plan): run each build under `jobslot -j N -- CMD` meanwhile');
  }
  if (jobs > MAX_JOBS) fail(`-j ${jobs} is more than a fifo holds (at most ${MAX_JOBS})`);
  // sun_path holds 104 bytes on macOS, 108 on Linux, the terminating NUL included.
  const socketWouldBe = join(endpointDir().dir, DAEMON_SOCKET);
  if (Buffer.byteLength(socketWouldBe) > 103) {
    fail(`${socketWouldBe} is too long for a unix socket (at most 103 bytes): set XDG_RUNTIME_DIR (or TMPDIR) to a shorter directory of yours`);
  }
  let dir: string;
  try {
    dir = ensureEndpointDir();
  } catch (error) {
    fail((error as Error).message);
  }
  // Everything we create here is this user's alone, whatever umask we were given.
  process.umask(0o077);
  let libc: ReturnType<typeof loadLibc>;
  try {
    libc = loadLibc();
  } catch (error) {
    fail(`cannot serve a jobserver: ${ffiMissing(error) ?? (error as Error).message}`);
  }

  // One daemon per user: the lock is held as long as this process lives, so
  // a daemon that died (SIGKILL, a crash) leaves a lock anyone may take.
  const lockPath = join(dir, DAEMON_LOCK);
  let lockFd: number;
  try {
    lockFd = openSync(lockPath, fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o600);
  } catch (error) {
    fail(`cannot open ${lockPath}: ${(error as Error).message} (remove it and start again)`);
  }
  if (!fstatSync(lockFd).isFile()) fail(`${lockPath} is not a regular file: remove it and start again`);
  const { LOCK_EX, LOCK_NB } = libc.constants;
  if (libc.flock(lockFd, LOCK_EX | LOCK_NB) !== 0) {
    const pid = /^\d+/.exec(readFileSync(lockFd, 'utf8'))?.[0] ?? '?';
    closeSync(lockFd);
    fail(`one runs already for this user (pid ${pid}, in ${dir}): use it (eval "$(jobslot env)"), or stop it first (kill ${pid})`);
  }
  ftruncateSync(lockFd, 0);
  writeSync(lockFd, `${process.pid}\n`, 0);

  // What a daemon that is gone left behind: removed, never followed (unlink
  // removes a symlink itself, not what it points at).
  const fifoPath = join(dir, DAEMON_FIFO);
  const socketPath = join(dir, DAEMON_SOCKET);
  const stale: string[] = [];
  for (const file of [fifoPath, socketPath]) {
    try {
      lstatSync(file, { bigint: true }); // (bigint: see lstat() in daemon-endpoint.ts)
    } catch {
      continue;
    }
    try {
      unlinkSync(file);
      stale.push(file);
    } catch (error) {
      fail(`cannot remove the stale ${file}: ${(error as Error).message} (remove it and start again)`);
    }
  }
  if (stale.length) process.stderr.write(`jobslot serve: replaced the endpoint a daemon that is gone left in ${dir}\n`);

  if (libc.mkfifo(fifoPath, 0o600) !== 0) fail(`mkfifo ${fifoPath} failed (errno ${libc.errno()})`);
  // Held open read-write while we serve: readers never see end-of-file, and
  // writes never fail for want of a reader.
  const fifo = openSync(fifoPath, fsc.O_RDWR | fsc.O_NONBLOCK | fsc.O_NOCTTY | fsc.O_NOFOLLOW);
  const byte = Buffer.from('+');
  const buf = Buffer.alloc(1);
  const put = (n: number) => {
    for (let i = 0; i < n; i++) if (libc.write(fifo, byte, 1) !== 1) return;
  };
  const take = () => libc.read(fifo, buf, 1) === 1;
  const free = () => Math.max(0, libc.pending(fifo));
  put(jobs);

  const started = Date.now();
  const connections = new Set<Connection>();
  let heldBack = 0;
  const attributed = () => {
    let n = 0;
    for (const c of connections) n += c.tokens;
    return n;
  };

  // Fair shares: each `jobslot run` keeps at most N / (builds running) slots
  // while others run, or the first to start would hold every token (its
  // native pools sized to them) until it ended, and the others would wait
  // for it to finish before running a single job.
  const builds = () => [...connections].filter((c) => c.build).length;
  const share = () => Math.max(1, Math.floor(jobs / Math.max(1, builds())));
  let lastShare = 0;
  const tellShare = () => {
    const k = share();
    if (k === lastShare) return;
    lastShare = k;
    for (const c of connections) if (c.build && !c.socket.destroyed) c.socket.write(`share ${k}\n`);
  };

  const info = (withHolders: boolean): DaemonInfo => {
    const inFifo = free();
    const held = attributed();
    const clients: DaemonClientInfo[] = [...connections]
      .filter((c) => c.pid !== undefined && !c.build)
      .map((c) => ({ pid: c.pid!, command: c.command ?? '?', tokens: c.tokens, since: c.since }));
    return {
      pid: process.pid,
      jobs,
      fifo: fifoPath,
      socket: socketPath,
      free: inFifo,
      heldBack,
      unattributed: Math.max(0, jobs - inFifo - held - heldBack),
      loadAverage: options.loadAverage,
      minMemory: options.minMemory,
      load: loadavg()[0]!,
      available: availableMemory(),
      since: started,
      clients,
      builds: builds(),
      share: share(),
      fifoOpenBy: withHolders ? fifoHolders(fifoPath, false) : undefined,
    };
  };

  const server = createServer((socket) => {
    const connection: Connection = { socket, tokens: 0, since: Date.now() };
    connections.add(connection);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line === '+') connection.tokens++;
        else if (line === '-') connection.tokens = Math.max(0, connection.tokens - 1);
        else if (line === 'info' || line === 'status') socket.end(`${JSON.stringify(info(line === 'status'))}\n`);
        else if (line.startsWith('hello ') || line.startsWith('build ')) {
          try {
            const hello = JSON.parse(line.slice(6)) as { pid?: unknown; command?: unknown };
            if (line.startsWith('build ')) {
              connection.build = true;
              // Its share now, and everyone's, whether it changed or not: it waits for this line.
              lastShare = 0;
              tellShare();
            }
            if (Number.isInteger(hello.pid)) connection.pid = hello.pid as number;
            if (typeof hello.command === 'string') connection.command = hello.command.slice(0, 200);
          } catch {
            // Not one of ours: it is counted, but not named.
          }
        }
      }
      if (buffer.length > MAX_LINE) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      connections.delete(connection);
      if (connection.build) tellShare();
      if (connection.tokens === 0) return;
      // Its process ended holding these: they come back now. Never more than
      // can be out (a '-' still on its way would make one too many).
      const room = jobs - heldBack - attributed() - free();
      const back = Math.min(connection.tokens, Math.max(0, room));
      put(back);
      say(`pid ${connection.pid ?? '?'} (${connection.command ?? 'not named'}) ended holding ${tokensWord(connection.tokens)}: ${back} back in the pool`);
    });
  });
  await new Promise<void>((resolve) => {
    server.once('error', (error) => fail(`cannot listen on ${socketPath}: ${error.message}`));
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);

  let excessTicks = 0;
  let lastScan = 0;
  let lastRelease = 0;
  let wasOver = false;
  const tick = () => {
    const now = Date.now();
    const inFifo = free();
    // With nobody else holding a token, the fifo holds this many.
    const whole = jobs - heldBack - attributed();
    if (inFifo > whole) {
      // More than N out there: taken out again, once it lasts (a '-' may be on its way).
      if (++excessTicks >= 2) {
        let drained = 0;
        while (drained < inFifo - whole && take()) drained++;
        excessTicks = 0;
        say(`${tokensWord(drained)} more than -j ${jobs} came into the fifo (given back twice, or written by something that took none): taken out again`);
      }
    } else {
      excessTicks = 0;
    }
    if (inFifo < whole && now - lastScan >= SCAN_MS) {
      lastScan = now;
      // Out with make, cargo or ninja, or lost. Nobody holds the fifo open:
      // nobody can hold a token, so the pool is made whole. (Counted again
      // after the search: a process that opened the fifo meanwhile and gave
      // a token back must not make one too many.)
      const holders = fifoHolders(fifoPath, true);
      if (holders && holders.length === 0 && free() === inFifo) {
        put(whole - inFifo);
        say(`${tokensWord(whole - inFifo)} read from the fifo by processes that have all ended (make, cargo, ninja) never came back: the pool is whole again`);
      }
    }
    const load = options.loadAverage !== undefined ? loadavg()[0]! : 0;
    const memory = options.minMemory !== undefined ? availableMemory() : Infinity;
    const over =
      options.loadAverage !== undefined && load > options.loadAverage
        ? `the load average is ${load.toFixed(2)}, above ${options.loadAverage}`
        : options.minMemory !== undefined && memory < options.minMemory
          ? `${formatSize(memory)} of memory is available, below ${formatSize(options.minMemory)}`
          : undefined;
    if (over !== undefined && !wasOver) say(`${over}: holding tokens back (one stays in circulation)`);
    if (over === undefined && wasOver) say('below the limits again: held-back tokens go back, one a second');
    wasOver = over !== undefined;
    if (over) {
      // Hold back what is free, but never the last token in circulation.
      while (heldBack < jobs - 1 && take()) heldBack++;
    } else if (heldBack > 0 && now - lastRelease >= RELEASE_MS) {
      put(1);
      heldBack--;
      lastRelease = now;
    }
  };
  const timer = setInterval(tick, TICK_MS);

  const stop = () => {
    clearInterval(timer);
    server.close();
    for (const c of connections) c.socket.destroy();
    for (const file of [socketPath, fifoPath, lockPath]) {
      try {
        unlinkSync(file);
      } catch {
        // gone already
      }
    }
    closeSync(fifo);
    closeSync(lockFd);
    try {
      rmdirSync(dir);
    } catch {
      // not empty (something of the user's): left alone
    }
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, stop);

  const limits = [
    options.loadAverage !== undefined ? `load average ${options.loadAverage}` : undefined,
    options.minMemory !== undefined ? `at least ${formatSize(options.minMemory)} available` : undefined,
  ].filter(Boolean);
  process.stderr.write(
    `jobslot serve: ${jobs} slot${jobs === 1 ? '' : 's'} for every build of this user's (pid ${process.pid}, ${fifoPath}${limits.length ? `; holding tokens back beyond ${limits.join(', ')}` : ''}); shells join with: eval "$(jobslot env)"\n`,
  );
}
