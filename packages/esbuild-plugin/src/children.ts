// Finds esbuild's long-lived service among this process's children, and what it was started with (Linux only).
//
// esbuild has no API that says whether its service is already running, and a
// running service cannot be resized. Counting service children before and
// after the call that would start one tells whether that call started it.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Pids of this process's children that are esbuild services (`esbuild
 * --service=<version> --ping`), or undefined where /proc cannot say.
 */
export function esbuildServiceChildren(): number[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const pids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  for (const tid of tasks) {
    let children: string;
    try {
      // A child is listed under the thread that forked it, so read every thread.
      children = readFileSync(`/proc/self/task/${tid}/children`, 'utf8');
    } catch (error) {
      // the thread ended meanwhile: fine; no `children` file at all (kernel without CONFIG_PROC_CHILDREN): cannot say
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(process.pid)) return undefined;
      continue;
    }
    for (const pid of children.split(' ')) {
      if (!pid.trim()) continue;
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        // buildSync/transformSync start short-lived `--service=` processes without --ping
        if (argv.some((a) => a.startsWith('--service=')) && argv.includes('--ping')) pids.push(Number(pid));
      } catch {
        // the child exited meanwhile
      }
    }
  }
  return pids;
}

/**
 * Whether `pid` is still a child of this process. True where /proc cannot say
 * (other platforms): then this package trusts what it started.
 */
export function isChildAlive(pid: number): boolean {
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // state Z: exited, not yet reaped
    return fields[0] !== 'Z' && Number(fields[1]) === process.pid;
  } catch {
    return false;
  }
}

/** GOMAXPROCS in the environment `pid` was started with, if /proc shows it. */
export function gomaxprocsOf(pid: number): number | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith('GOMAXPROCS='));
    const value = Number(entry?.slice('GOMAXPROCS='.length));
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
