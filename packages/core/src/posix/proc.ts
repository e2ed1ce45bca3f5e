// Reading other processes on Linux through /proc, one reader per fact: what
// discovery needs (a parent, a start time, a name, which descriptors reach a
// pipe or fifo and how they are open), a process's children and command line. A leaf: descriptors.ts proves a pipe is the
// jobserver's with it, pool-hint.ts proves a `jobslot run` serves its fifo, and
// the command line tool asks who holds its fifos.
import { fs } from '../builtins.js';

const { readdirSync, readFileSync, readlinkSync, statSync } = fs;

/** The fields of /proc/PID/stat after the command name (index 0 is field 3, the state); undefined if unreadable. */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The parent of `pid`, or undefined if it cannot be read. */
export function parentOf(pid: number): number | undefined {
  const ppid = Number(statFields(pid)?.[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** The command name of `pid` (/proc/PID/comm), or '' if it cannot be read. */
export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The command line of `pid` (/proc/PID/cmdline split at its NULs, as read), or undefined if it cannot be read. */
export function argvOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * The children of `pid`, every thread's: a child is listed under the thread
 * that forked it (cargo and node start processes from threads other than the
 * main one). [] if it is gone; a thread that ends meanwhile is skipped.
 */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const word of text.split(' ')) {
      const child = Number(word);
      if (word.trim() && Number.isInteger(child)) out.push(child);
    }
  }
  return out;
}

/** Whether /proc lists a process's children (Linux, CONFIG_PROC_CHILDREN). */
export function canListChildren(): boolean {
  try {
    readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8');
    return true;
  } catch {
    return false;
  }
}

/**
 * The descriptors of `pid` whose /proc/PID/fd/N path passes `match` (the
 * first only, with `firstOnly`); undefined if the process is gone or not ours
 * to read. A descriptor closed while we look (match throws) is skipped.
 */
export function fdsWhere(pid: number | string, match: (fdPath: string) => boolean, firstOnly = false): number[] | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const found: number[] = [];
  for (const fd of fds) {
    try {
      if (!match(`/proc/${pid}/fd/${fd}`)) continue;
    } catch {
      continue; // closed while we looked
    }
    found.push(Number(fd));
    if (firstOnly) break;
  }
  return found;
}

/**
 * The descriptors of `pid` open on the file (dev, ino), as stat() of each
 * /proc/PID/fd/N tells (a fifo reached by any path, or a pipe); the first
 * only, with `firstOnly`. undefined if the process is gone or not ours to read.
 */
export function fdsOnInode(pid: number | string, dev: number, ino: number, firstOnly = false): number[] | undefined {
  return fdsWhere(
    pid,
    (fdPath) => {
      const s = statSync(fdPath);
      return s.ino === ino && s.dev === dev;
    },
    firstOnly,
  );
}

/**
 * The descriptors of `pid` whose /proc link is one of `links` (a path, or `pipe:[ino]`);
 * [] if the process is gone or not ours to read.
 */
export function fdsLinkedTo(pid: number | string, links: readonly string[]): number[] {
  return fdsWhere(pid, (fdPath) => links.includes(readlinkSync(fdPath))) ?? [];
}

/** The open flags (octal `flags:` of /proc/PID/fdinfo/FD) of another process's descriptor, or undefined. */
export function fdFlags(pid: number | string, fd: number | string): number | undefined {
  try {
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags === undefined ? undefined : parseInt(flags, 8);
  } catch {
    return undefined;
  }
}

/**
 * The access mode of another process's descriptor (the O_ACCMODE bits of its
 * open flags: 0 read, 1 write, 2 both, on Linux, where alone /proc is read),
 * or undefined.
 */
export function accessMode(pid: number | string, fd: number | string): number | undefined {
  const flags = fdFlags(pid, fd);
  return flags === undefined ? undefined : flags & 3;
}
