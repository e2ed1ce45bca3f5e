// Reading other processes on Linux through /proc: the few facts discovery
// needs (a parent, a start time, a name, which descriptors reach a pipe or fifo
// and how they are open). A leaf: descriptors.ts proves a pipe is the
// jobserver's with it, pool-hint.ts proves a `jobslot run` serves its fifo, and
// the command line tool asks who holds its fifos.
import { fs } from '../builtins.js';

const { readdirSync, readFileSync, readlinkSync } = fs;

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

/**
 * The descriptors of `pid` whose /proc link is one of `links` (a path, or `pipe:[ino]`);
 * [] if the process is gone or not ours to read. A descriptor closed while we look is skipped.
 */
export function fdsLinkedTo(pid: number | string, links: readonly string[]): number[] {
  const found: number[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return found;
  }
  for (const fd of fds) {
    try {
      if (links.includes(readlinkSync(`/proc/${pid}/fd/${fd}`))) found.push(Number(fd));
    } catch {
      // closed while we looked
    }
  }
  return found;
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
