// The environment `jobslot run` gives its command, on every platform: the
// sub-pool's MAKEFLAGS (POSIX: a pipe or fifo; Windows: a semaphore's name),
// and every pool that reads its size once at start sized to the slots held
// then: native thread pools (threads.ts), task runners (task-runners.ts) and
// V8's helper threads.
import { threadEnv } from '../threads.js';
import { v8PoolForSlots, v8PoolSizeOption } from '../v8-pool-size.js';
import { traceUnder } from './pool-trace.js';
import { taskRunnerEnv } from './task-runners.js';

/** CMD's environment: the sub-pool in MAKEFLAGS, native pools and task runners sized to `slots`. */
export function commandEnv(pool: { env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv }, slots: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...traceUnder(pool.env(process.env)), ...threadEnv(slots), ...taskRunnerEnv(slots) };
  // V8's own helper threads (GC, compilation) in every node process CMD
  // starts: sized to the slots too (less the main thread's one), unless the
  // user chose a size. Marked as ours, so that the vite plugin can give
  // vitest's forked test workers, which share these slots one each, a size of
  // 1 without overriding a user's.
  if (v8PoolSizeOption(env.NODE_OPTIONS) === undefined) {
    const v8Pool = String(v8PoolForSlots(slots));
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : ''}--v8-pool-size=${v8Pool}`;
    env.JOBSLOT_V8_POOL_SIZE = v8Pool;
  }
  return env;
}
