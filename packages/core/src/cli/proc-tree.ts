// The processes beneath this one, from /proc (Linux): what `jobslot run`
// looks at to see whether its command waits for a token (demand.ts), and what
// the trace's process lanes come from (pool-trace.ts).
import { readdirSync, readFileSync } from 'node:fs';

/** Whether /proc lists a process's children (Linux, CONFIG_PROC_CHILDREN). */
export function canListChildren(): boolean {
  try {
    readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8');
    return true;
  } catch {
    return false;
  }
}

/** Every process beneath `root` (not `root` itself), parents before children. */
export function descendants(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone meanwhile
    }
    // A child belongs to the thread that forked it: cargo and node start
    // processes from threads other than the main one.
    for (const tid of tasks) {
      let text = '';
      try {
        text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const word of text.split(' ')) {
        const child = Number(word);
        if (word && Number.isInteger(child)) {
          out.push(child);
          queue.push(child);
        }
      }
    }
  }
  return out;
}

/** The threads of `pid` (its task ids); empty if it is gone. */
export function threadsOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}
