// Asking a running `jobslot serve` what it serves (`info`) or who holds what
// (`status`): one request line on its socket, one JSON line back.
import { net } from '../builtins.js';
import { endpointDir, findEndpoint } from '../client/daemon-endpoint.js';

export interface DaemonClientInfo {
  pid: number;
  command: string;
  tokens: number;
  /** When it connected, ms since the epoch. */
  since: number;
}

export interface DaemonInfo {
  pid: number;
  jobs: number;
  fifo: string;
  socket: string;
  /** Tokens in the fifo now. */
  free: number;
  /** Tokens the daemon holds back for the load or memory limit. */
  heldBack: number;
  /** Tokens read from the fifo by processes that do not say (make, cargo, ninja). */
  unattributed: number;
  loadAverage?: number;
  minMemory?: number;
  /** The 1-minute load and the available memory (bytes) now. */
  load: number;
  available: number;
  since: number;
  clients: DaemonClientInfo[];
  /** `jobslot run`s running (builds), and the slots each may keep while they all run. */
  builds?: number;
  share?: number;
  /** Processes other than the daemon that hold the fifo open (Linux: from /proc). */
  fifoOpenBy?: { pid: number; command: string }[];
}

export type Asked = { ok: true; info: DaemonInfo } | { ok: false; error: string; stale?: boolean };

/** Asks this user's daemon; `error` says in one line why there is no answer, and what to do. */
export function askDaemon(request: 'info' | 'status', env: Record<string, string | undefined> = process.env, timeoutMs = 3000): Promise<Asked> {
  const endpoint = findEndpoint(env);
  if (!endpoint) {
    return Promise.resolve({ ok: false, error: `no jobslot serve runs for this user (nothing in ${endpointDir(env).dir}): start one with \`jobslot serve -j N &\`` });
  }
  return new Promise((resolve) => {
    let buffer = '';
    let done = false;
    const finish = (answer: Asked) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = net().connect(endpoint.socket);
    const timer = setTimeout(() => finish({ ok: false, error: `jobslot serve (${endpoint.socket}) did not answer within ${timeoutMs / 1000} s` }), timeoutMs);
    socket.on('connect', () => socket.write(`${request}\n`));
    socket.on('data', (chunk) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      try {
        finish({ ok: true, info: JSON.parse(buffer.slice(0, end)) as DaemonInfo });
      } catch (error) {
        finish({ ok: false, error: `jobslot serve answered something unreadable: ${(error as Error).message}` });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const stale = error.code === 'ECONNREFUSED' || error.code === 'ENOENT';
      finish({
        ok: false,
        stale,
        error: stale ? `no jobslot serve runs for this user (${endpoint.dir} is left from one that is gone): start one with \`jobslot serve -j N &\`` : `cannot reach jobslot serve at ${endpoint.socket}: ${error.message}`,
      });
    });
    socket.on('close', () => finish({ ok: false, error: `jobslot serve (${endpoint.socket}) closed the connection without an answer` }));
  });
}
