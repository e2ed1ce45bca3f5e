// "Nothing for you now": how `jobslot run` tells the processes beneath it
// that it saw one wait on its sub-pool and has no token to put in (none free
// in the pool above, or it holds its -jN already).
//
// A wait that asks `jobslot run` for more (a minimizer pass sizing its worker
// pool: webpack-plugin's top-up.ts) must end when no token is coming, and
// soon: the pass runs meanwhile on fewer workers than it will have. A wait
// bounded by wall time is a race under load (`jobslot run` may not look in
// time); this is the answer itself. `jobslot run` appends one byte to a file
// beside its fifo, in its private directory, at each look that finds a
// waiter it cannot serve (cli/demand.ts); a waiter reads the file's size.
// Linux only, as the look that finds waiters (/proc).
import { fs, path } from '../builtins.js';
import { POOL_VARIABLE } from '../backend.js';
import { checkPoolHint, parsePoolHint } from './pool-hint.js';

const { appendFileSync, statSync, unlinkSync, writeFileSync } = fs;

/** The file beside a pool's fifo. */
export function refusalsFile(fifo: string): string {
  return path.join(path.dirname(fifo), 'refusals');
}

/**
 * The server's side: made when it starts to look for waiters; `refuse()` says
 * it has nothing for them now; `remove()`, as the pool closes, takes the file
 * away (a waiter then reads "closing"), so that the pool's directory is
 * empty for its rmdir.
 */
export function refusalsWriter(fifo: string): { refuse(): void; remove(): void } {
  const file = refusalsFile(fifo);
  writeFileSync(file, '', { mode: 0o600 });
  return {
    refuse() {
      try {
        appendFileSync(file, '.');
      } catch {
        // the pool is closing: nobody waits on it any more
      }
    },
    remove() {
      try {
        unlinkSync(file);
      } catch {
        // gone already
      }
    },
  };
}

/**
 * A waiter's side: how many times the `jobslot run` serving this process's
 * pool (JOBSLOT_POOL, checked as a client checks it: a private jobslot fifo
 * served by an ancestor) has said it has nothing to give; undefined where it
 * does not say (not Linux, no `jobslot run` above, one from before it did).
 */
export function poolRefusals(env: NodeJS.ProcessEnv = process.env): { count(): number } | undefined {
  if (process.platform !== 'linux') return undefined;
  const hint = parsePoolHint(env[POOL_VARIABLE]);
  if (!hint || checkPoolHint(hint) !== undefined) return undefined;
  const file = refusalsFile(hint.path);
  const size = () => {
    try {
      return statSync(file).size;
    } catch {
      return undefined;
    }
  };
  if (size() === undefined) return undefined;
  // Gone: the pool is closing, nothing more will come.
  return { count: () => size() ?? Infinity };
}
