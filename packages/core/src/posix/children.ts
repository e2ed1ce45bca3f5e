// What a plugin needs to know, through /proc, about the tool processes it
// starts (through @jobslot/core/plugin): its children, their command lines
// and the environment they were started with. The esbuild plugin finds its Go
// service and its GOMAXPROCS with these. Linux only; elsewhere they say so.
import { fs } from '../builtins.js';
import { statFields } from './proc.js';

const { readdirSync, readFileSync } = fs;

/**
 * This process's children (every thread's: a child is listed under the
 * thread that forked it), each with its command line; undefined where /proc
 * cannot say (not Linux, or a kernel without CONFIG_PROC_CHILDREN).
 */
export function childProcesses(): { pid: number; argv: string[] }[] | undefined {
  if (process.platform !== 'linux') return undefined;
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const children: { pid: number; argv: string[] }[] = [];
  for (const tid of tasks) {
    let list: string;
    try {
      list = readFileSync(`/proc/self/task/${tid}/children`, 'utf8');
    } catch (error) {
      // the thread ended meanwhile: fine; no `children` file at all: cannot say
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(process.pid)) return undefined;
      continue;
    }
    for (const pid of list.split(' ')) {
      if (!pid.trim()) continue;
      try {
        children.push({ pid: Number(pid), argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') });
      } catch {
        // the child exited meanwhile
      }
    }
  }
  return children;
}

/** Whether `pid` is still a running child of this process; true where /proc cannot say (not Linux). */
export function isChildAlive(pid: number): boolean {
  if (process.platform !== 'linux') return true;
  const fields = statFields(pid);
  // state Z: exited, not yet reaped
  return fields !== undefined && fields[0] !== 'Z' && Number(fields[1]) === process.pid;
}

/** One variable of the environment `pid` was started with, if /proc shows it. */
export function startEnvOf(pid: number, name: string): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith(`${name}=`));
    return entry?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}
