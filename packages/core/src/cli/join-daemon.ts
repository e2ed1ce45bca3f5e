// `jobslot run` and the user's `jobslot serve`: outside make (no make
// variable in the environment), the daemon is the pool above, so that
// builds started in unrelated shells share its N. A shell that ran
// `eval "$(jobslot env)"` names the daemon's fifo itself; then it is the
// pool above as any make's would be, with one difference: the daemon gives
// nobody an implicit slot, so the command's own slot is a token too.
import { net } from '../builtins.js';
import { JobClient } from '../client/client.js';
import { daemonSocketFor, findEndpoint } from '../client/daemon-endpoint.js';
import { escapeMakeflagsWord, MAKEFLAGS_VARIABLES, makeflagsFromEnv, withJobserver } from '../makeflags.js';
import { askDaemon } from './daemon-ask.js';

/** True if the jobserver `env` names is a `jobslot serve` fifo. */
export function namesDaemon(env: Record<string, string | undefined>): boolean {
  const auth = makeflagsFromEnv(env)?.flags.auth;
  return auth?.kind === 'fifo' && daemonSocketFor(auth.path) !== undefined;
}

/**
 * A client of the daemon's fifo, when no make variable is set and a daemon
 * runs for this user; else undefined (and `jobslot run` serves its own pool).
 */
export async function joinDaemon(onWarning: (message: string) => void): Promise<JobClient | undefined> {
  // (No daemon on Windows yet: see daemon.ts.)
  if (process.platform === 'win32' || MAKEFLAGS_VARIABLES.some((variable) => process.env[variable])) return undefined;
  const asked = await askDaemon('info');
  if (!asked.ok) return undefined;
  const { jobs, fifo, pid } = asked.info;
  const env = { ...process.env, MAKEFLAGS: withJobserver(undefined, jobs, `fifo:${escapeMakeflagsWord(fifo)}`) };
  const client = JobClient.fromEnv({ env, onWarning });
  if (client.connected) {
    // As the line `jobslot run` says when it serves a pool of its own: where the slots come from.
    process.stderr.write(`jobslot run: sharing the ${jobs} slot${jobs === 1 ? '' : 's'} of jobslot serve (pid ${pid}) with this user's other builds (\`jobslot status\`: who holds what)\n`);
    return client;
  }
  client.close();
  return undefined;
}

/** The command's own slot from the daemon: a token (or nothing, if the daemon went away meanwhile). */
export async function daemonSlot(client: JobClient): Promise<{ release(): void }> {
  for (;;) {
    const token = await client.acquire({ timeout: 1000 });
    if (token) return token;
    if (!client.connected) return { release() {} };
  }
}

/** The slots this build may keep while the daemon's other builds run: updated as builds start and end. */
export interface Share {
  readonly current: number;
  onChange(listener: (share: number) => void): void;
}

/**
 * Registers this `jobslot run` with the daemon as a build, and follows its
 * fair share (N / builds running). `fromEnv`: the daemon named in this
 * process's make variables (a shell that ran `jobslot env`), else the one in
 * the endpoint directory. undefined if the daemon does not answer.
 */
export async function daemonShare(fromEnv: boolean, timeoutMs = 3000): Promise<Share | undefined> {
  const auth = fromEnv ? makeflagsFromEnv(process.env)?.flags.auth : undefined;
  const socketPath = fromEnv ? (auth?.kind === 'fifo' ? daemonSocketFor(auth.path) : undefined) : findEndpoint()?.socket;
  if (!socketPath) return undefined;
  let current = 0;
  const listeners: ((share: number) => void)[] = [];
  const socket = net().connect(socketPath);
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  socket.write(`build ${JSON.stringify({ pid: process.pid, command: 'jobslot run' })}\n`);
  let buffer = '';
  const first = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.on('close', () => resolve(false));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const share = /^share (\d+)$/.exec(buffer.slice(0, end))?.[1];
        buffer = buffer.slice(end + 1);
        if (!share) continue;
        current = Number(share);
        clearTimeout(timer);
        resolve(true);
        for (const listener of listeners) listener(current);
      }
    });
  });
  // Open as long as we run (the daemon counts us while it is), but never what keeps us running.
  socket.unref();
  if (!(await first)) {
    socket.destroy();
    return undefined;
  }
  return {
    get current() {
      return current;
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
