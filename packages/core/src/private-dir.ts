// Whether a directory named by the environment (XDG_RUNTIME_DIR, the daemon's
// endpoint) is this user's private one: the one check `jobslot serve`'s
// endpoint, the daemon's clients and `jobslot run`'s sub-pool all make before
// they put a fifo or a socket there. A leaf: builtins only.
import { fs } from './builtins.js';

const { lstatSync } = fs;

/** This process's user id; undefined where there is none (Windows). */
export function uid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * lstat, into an array of its own. Node 20's fs.realpathSync (which require()
 * uses) reads the mode of the last plain lstat or stat anywhere in the thread
 * from one shared array, and stops resolving symlinks when that was a fifo or
 * a socket: after a plain lstat of the daemon's fifo, require('koffi') from a
 * pnpm install (symlinked) failed to find koffi's native binary. BigInt stats
 * fill another array.
 */
export function lstatPrivate(file: string): { mode: number; uid: number; isSymbolicLink(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean } {
  const stats = lstatSync(file, { bigint: true });
  return {
    mode: Number(stats.mode),
    uid: Number(stats.uid),
    isSymbolicLink: () => stats.isSymbolicLink(),
    isDirectory: () => stats.isDirectory(),
    isFIFO: () => stats.isFIFO(),
    isSocket: () => stats.isSocket(),
  };
}

/** Why `dir` is not a private directory of this user's (undefined if it is). Never follows a symlink. */
export function privateDirProblem(dir: string): string | undefined {
  let stats: ReturnType<typeof lstatPrivate>;
  try {
    stats = lstatPrivate(dir);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${dir} does not exist` : `cannot look at ${dir}: ${(error as Error).message}`;
  }
  if (stats.isSymbolicLink()) return `${dir} is a symbolic link (refusing to follow it)`;
  if (!stats.isDirectory()) return `${dir} is not a directory`;
  const me = uid();
  if (me !== undefined && stats.uid !== me) return `${dir} belongs to uid ${stats.uid}, not to this user (uid ${me})`;
  if ((stats.mode & 0o077) !== 0) return `${dir} is open to others (mode ${(stats.mode & 0o777).toString(8)}; it must be 700)`;
  return undefined;
}
