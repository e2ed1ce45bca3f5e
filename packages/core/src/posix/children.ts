// What a plugin needs to know, through /proc, about the tool processes it
// starts (through @jobslot/core/plugin): its children, their command lines
// and the environment they were started with. The esbuild plugin finds its Go
// service and its GOMAXPROCS with these. Linux only; elsewhere they say so.
import { fs } from '../builtins.js';
import { argvOf, canListChildren, childrenOf, statFields } from './proc.js';

const { readFileSync } = fs;

/**
 * This process's children (every thread's: a child is listed under the
 * thread that forked it), each with its command line; undefined where /proc
 * cannot say (not Linux, or a kernel without CONFIG_PROC_CHILDREN).
 */
export function childProcesses(): { pid: number; argv: string[] }[] | undefined {
  if (process.platform !== 'linux' || !canListChildren()) return undefined;
  return childrenOf(process.pid).flatMap((pid) => {
    const argv = argvOf(pid);
    // undefined: the child exited meanwhile
    return argv ? [{ pid, argv }] : [];
  });
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
