// Reading other processes on Linux through /proc: the few facts discovery
// needs (a parent, a start time, a name). A leaf: descriptors.ts proves a pipe is
// the jobserver's with it, pool-hint.ts proves a `jobslot run` serves its fifo.
import { fs } from '../builtins.js';

const { readFileSync } = fs;

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
