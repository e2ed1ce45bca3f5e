// The jobs a dead command leaves running. When the command `jobslot run`
// serves dies of a signal (a make SIGKILLed mid-build), the recipes it
// started run on, orphaned: they still use the slots the command gave them.
// Handing every token back at once would let make start new jobs beside them
// (7 at once at -j4); plain make leaks the tokens instead. So `jobslot run`
// becomes a child subreaper (Linux): orphans beneath it become its children,
// it sees them, and it gives a token back as each one ends.
//
// Only processes still in our session count: a daemon the command started
// (turbo's, a build server) leaves the session with setsid() and is not a job.
import { loadLibc } from '../ffi/libc.js';
import { statFields } from '../posix/proc.js';
import { fs } from '../builtins.js';

const { readdirSync, readFileSync } = fs;

/** Makes this process the reaper of its orphaned descendants; false where it cannot (not Linux). */
export function adoptOrphans(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return loadLibc().becomeSubreaper() === 0;
  } catch {
    return false;
  }
}

/** Our children still running in our session (orphans adopted, as a rule); those that ended are reaped. */
export function runningOrphans(): number[] {
  // Field 6 of /proc/PID/stat, the session (index 3 after the state).
  const session = statFields(process.pid)?.[3];
  const children = new Set<number>();
  for (const task of readdirSync('/proc/self/task')) {
    try {
      for (const word of readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ')) if (word) children.add(Number(word));
    } catch {
      // the thread ended meanwhile
    }
  }
  const running: number[] = [];
  for (const pid of children) {
    const fields = statFields(pid);
    if (!fields) continue;
    if (fields[0] === 'Z') {
      loadLibc().reap(pid);
      continue;
    }
    if (fields[3] === session) running.push(pid);
  }
  return running;
}
