// Where `jobslot serve` (the per-user daemon) keeps its endpoint, and how
// anyone checks that an endpoint is really this user's private one.
//
// The endpoint is a directory of this user's, mode 0700:
//   $XDG_RUNTIME_DIR/jobslot/   (systemd's per-user tmpfs, already 0700)
//   $TMPDIR/jobslot-<uid>/      (when XDG_RUNTIME_DIR is unset or not ours)
// holding
//   fifo     the jobserver, 0600: make 4.4, ninja 1.13, cargo and jobslot
//            clients read it as `--jobserver-auth=fifo:PATH`
//   socket   0600: jobslot processes say which tokens they hold (so the
//            daemon can take them back when the process dies), and
//            `jobslot env` / `jobslot status` ask the daemon what it serves
//   lock     flock'd by the running daemon: a second one is refused
//
// Nothing here is followed through a symlink or trusted when another user
// owns it: a path from the environment only ever names a directory we check.
// A leaf: the client's discovery and the `jobslot` command both use it.
import { fs, os, path } from '../builtins.js';
import { lstatPrivate, privateDirProblem, uid } from '../private-dir.js';

export { privateDirProblem };

const { mkdirSync } = fs;
const { join, isAbsolute } = path;

export const DAEMON_FIFO = 'fifo';
export const DAEMON_SOCKET = 'socket';
export const DAEMON_LOCK = 'lock';

/** Why the endpoint directory cannot be used: one line that says the fix. */
export class EndpointError extends Error {
  constructor(
    message: string,
    /** The directory at fault. */
    readonly dir: string,
  ) {
    super(message);
    this.name = 'EndpointError';
  }
}

/** The directory the daemon's endpoint lives in, and where that came from. */
export function endpointDir(env: Record<string, string | undefined> = process.env): { dir: string; base: 'XDG_RUNTIME_DIR' | 'TMPDIR' } {
  const runtime = env.XDG_RUNTIME_DIR;
  // The XDG spec: an absolute path, owned by the user, mode 0700. One that is
  // not (a leftover from `su`, a shared CI variable) is not ours to use.
  if (runtime && isAbsolute(runtime) && privateDirProblem(runtime) === undefined) {
    return { dir: join(runtime, 'jobslot'), base: 'XDG_RUNTIME_DIR' };
  }
  return { dir: join(os.tmpdir(), `jobslot-${uid() ?? os.userInfo().username}`), base: 'TMPDIR' };
}

/**
 * The endpoint directory, created 0700 if missing; throws an EndpointError
 * (which says what to do) if it exists but is not this user's private one.
 */
export function ensureEndpointDir(env: Record<string, string | undefined> = process.env): string {
  const { dir } = endpointDir(env);
  try {
    // Not recursive: its parent is $XDG_RUNTIME_DIR or the temp directory, both there already.
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new EndpointError(`cannot create ${dir}: ${(error as Error).message}`, dir);
  }
  const problem = privateDirProblem(dir);
  if (problem) throw new EndpointError(`${problem}: remove it (or set XDG_RUNTIME_DIR to a directory of yours, mode 700) and start again`, dir);
  return dir;
}

/** True if `file` in a private `dir` is a file of the given kind that this user owns, mode 0600 or tighter. */
function ownedEntry(file: string, kind: 'fifo' | 'socket'): boolean {
  try {
    const stats = lstatPrivate(file);
    const me = uid();
    const isKind = kind === 'fifo' ? stats.isFIFO() : stats.isSocket();
    return isKind && (me === undefined || stats.uid === me) && (stats.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** The daemon's endpoint in `env`'s directory, if its fifo and socket are there and ours (it may still be stale). */
export function findEndpoint(env: Record<string, string | undefined> = process.env): { dir: string; fifo: string; socket: string } | undefined {
  const { dir } = endpointDir(env);
  if (privateDirProblem(dir) !== undefined) return undefined;
  const fifo = join(dir, DAEMON_FIFO);
  const socket = join(dir, DAEMON_SOCKET);
  if (!ownedEntry(fifo, 'fifo') || !ownedEntry(socket, 'socket')) return undefined;
  return { dir, fifo, socket };
}

/**
 * The daemon's socket, if `fifo` (a path from MAKEFLAGS) is a `jobslot serve`
 * fifo: named `fifo`, in a private directory of ours, next to our socket.
 * Then a jobslot client tells the daemon what it takes (daemon-link.ts).
 */
export function daemonSocketFor(fifo: string): string | undefined {
  if (path.basename(fifo) !== DAEMON_FIFO) return undefined;
  const dir = path.dirname(fifo);
  if (privateDirProblem(dir) !== undefined) return undefined;
  const socket = join(dir, DAEMON_SOCKET);
  return ownedEntry(fifo, 'fifo') && ownedEntry(socket, 'socket') ? socket : undefined;
}
