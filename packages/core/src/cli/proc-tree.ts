// The processes beneath this one, from /proc (Linux): what `jobslot run`
// looks at to see whether its command waits for a token (demand.ts), and what
// the trace's process lanes come from (pool-trace.ts).
import { readdirSync } from 'node:fs';
import { childrenOf } from '../posix/proc.js';

export { canListChildren } from '../posix/proc.js';

/** Every process beneath `root` (not `root` itself), parents before children. */
export function descendants(root: number): number[] {
  const out: number[] = [];
  for (const queue = [root]; queue.length > 0; ) {
    for (const child of childrenOf(queue.shift()!)) {
      out.push(child);
      queue.push(child);
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
