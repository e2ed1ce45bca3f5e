// A jobserver of our own, as make runs one: a fifo (make 4.4's default) or a
// pipe (make 4.3) holding N-1 tokens, the Nth being the implicit slot of the
// command it serves. At the end it counts what came back. A leaf: the
// `jobslot -j N` command and the tests use it.
import { fs, os, path } from './builtins.js';
import { loadLibc } from './ffi/libc.js';

const { closeSync, constants: fsc, mkdtempSync, openSync, rmSync } = fs;
const { tmpdir } = os;
const { join } = path;

export interface JobserverOptions {
  /** -jN: the command may run N jobs at once (N-1 tokens plus its implicit slot). */
  jobs: number;
  /** 'fifo' (make 4.4+, the default) or 'pipe' (make 4.3 and older understand only this). */
  style?: 'fifo' | 'pipe';
  /** The byte tokens carry. Default '+', as make. */
  tokenByte?: number;
}

export interface Jobserver {
  readonly style: 'fifo' | 'pipe';
  readonly jobs: number;
  /** Tokens put in the pool at the start: jobs - 1. */
  readonly tokens: number;
  /** The MAKEFLAGS value for the command. */
  readonly makeflags: string;
  /** Extra stdio entries for child_process.spawn: the pipe's fds land on 3 and 4. */
  readonly stdio: number[];
  /** `base` with MAKEFLAGS pointing at this jobserver (MFLAGS and CARGO_MAKEFLAGS removed). */
  env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Takes every token now in the pool, closes and removes the jobserver; says how many came back. */
  close(): { returned: number; lost: number };
}

export function createJobserver(options: JobserverOptions): Jobserver {
  const jobs = Math.floor(options.jobs);
  if (!(jobs >= 1)) throw new RangeError(`jobs must be at least 1, got ${options.jobs}`);
  const style = options.style ?? 'fifo';
  const tokens = jobs - 1;
  const byte = options.tokenByte ?? 0x2b;
  const libc = loadLibc();

  let readFd: number;
  let writeFd: number;
  let makeflags: string;
  let stdio: number[] = [];
  let dir: string | undefined;

  if (style === 'fifo') {
    dir = mkdtempSync(join(tmpdir(), 'jobslot-'));
    const path = join(dir, 'fifo');
    if (libc.mkfifo(path, 0o600) !== 0) throw new Error(`mkfifo ${path} failed (errno ${libc.errno()})`);
    // Held open read-write for the whole run, so clients never see end-of-file
    // while we serve, and writes never block for want of a reader.
    readFd = openSync(path, fsc.O_RDWR | fsc.O_NONBLOCK);
    writeFd = readFd;
    makeflags = ` -j${jobs} --jobserver-auth=fifo:${path}`;
  } else {
    const fds = new Int32Array(2);
    if (libc.pipe(fds) !== 0) throw new Error(`pipe failed (errno ${libc.errno()})`);
    readFd = fds[0]!;
    writeFd = fds[1]!;
    stdio = [readFd, writeFd];
    makeflags = ` -j${jobs} --jobserver-auth=3,4`;
  }

  const one = Buffer.from([byte]);
  for (let i = 0; i < tokens; i++) {
    if (libc.write(writeFd, one, 1) !== 1) throw new Error(`cannot fill the jobserver (errno ${libc.errno()})`);
  }

  let closed: { returned: number; lost: number } | undefined;
  return {
    style,
    jobs,
    tokens,
    makeflags,
    stdio,
    env(base = process.env) {
      const env: NodeJS.ProcessEnv = { ...base, MAKEFLAGS: makeflags };
      delete env.MFLAGS;
      delete env.CARGO_MAKEFLAGS;
      return env;
    },
    close() {
      if (closed) return closed;
      // Our own pipe, and the command is gone: non-blocking so draining stops when empty.
      const { F_GETFL, F_SETFL, O_NONBLOCK } = libc.constants;
      libc.fcntl(readFd, F_SETFL, libc.fcntl(readFd, F_GETFL, 0) | O_NONBLOCK);
      const buf = Buffer.alloc(256);
      let returned = 0;
      for (;;) {
        const n = libc.read(readFd, buf, buf.length);
        if (n <= 0) break;
        returned += n;
      }
      closeSync(readFd);
      if (writeFd !== readFd) closeSync(writeFd);
      if (dir) rmSync(dir, { recursive: true, force: true });
      closed = { returned, lost: Math.max(0, tokens - returned) };
      return closed;
    },
  };
}
