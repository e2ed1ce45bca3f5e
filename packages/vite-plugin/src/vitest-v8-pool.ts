// V8's helper threads in vitest's test workers. Every node process starts a
// V8 platform pool of its own (GC and compilation jobs; node's default is 4
// threads, made when the process starts, whatever the machine). vitest's fork
// workers (pools `forks`, its default, and `vmForks`) are such processes, and
// each holds one slot (vitest.ts sizes a run's workers to the slots held): so
// each starts with `--v8-pool-size=1`, its helpers working for its one slot.
// Under make -j2 on 2 cores, the plugin alone left each worker 4 helpers to
// compete for the 2 cores.
//
// How: vitest 4 (4.0.0 and 4.1) builds each run's worker command line from
// `project.config.execArgv`, per project, when it schedules the run, after
// reporters hear onTestRunStart: so the flag is added there, to each project
// whose pool forks. Node takes `--v8-pool-size` in a forked child's execArgv,
// and a flag on the command line wins over the same flag in NODE_OPTIONS.
//
// Kept: a size the user chose, in the project's `execArgv` or in the
// NODE_OPTIONS its workers get (`test.env`, the project's, else the
// environment). Not kept: the size `jobslot run` put in NODE_OPTIONS (it marks
// it with JOBSLOT_V8_POOL_SIZE): that sizes one node process to all the run's
// slots, and vitest's workers share those slots, one each, so 1 is still each
// worker's share (vitest's own process keeps the run's size).
//
// Not for the threads pools (`threads`, `vmThreads`): worker_threads share
// their process's V8 platform, and node refuses `--v8-pool-size` in a
// Worker's execArgv (ERR_WORKER_INVALID_EXEC_ARGV). That platform is vitest's
// own process's, sized when vitest started: under `jobslot run` to the run's
// slots, which the threads share (right); under the plugin alone, node's
// default, which nothing in a running process can change.

import { v8PoolSizeOption } from '@jobslot/core/plugin';

/** vitest's pools whose workers are node child processes, each with its own V8 platform. */
const FORK_POOLS = new Set(['forks', 'vmForks']);

/** The flag and what it sets: each fork worker holds one slot. */
export const WORKER_V8_POOL = '--v8-pool-size=1';

/** Set by `jobslot run` beside NODE_OPTIONS' `--v8-pool-size` when it put that there. */
export const RUN_V8_POOL_MARK = 'JOBSLOT_V8_POOL_SIZE';

/** What this module reads and writes of a vitest project's resolved config. */
export interface ForkProjectConfig {
  pool?: unknown;
  execArgv?: string[];
  env?: Record<string, string | undefined>;
}

/**
 * Whether the user chose the V8 pool size of this project's workers: in its execArgv, or in the
 * NODE_OPTIONS they get (vitest 4 gives them `process.env`, then `test.env`, then the project's
 * `env`), unless that is the one `jobslot run` added.
 */
export function userV8PoolSize(project: ForkProjectConfig, rootEnv: ForkProjectConfig['env'], env: NodeJS.ProcessEnv = process.env): boolean {
  if (v8PoolSizeOption(undefined, project.execArgv) !== undefined) return true;
  const fromConfig = project.env?.NODE_OPTIONS ?? rootEnv?.NODE_OPTIONS;
  if (fromConfig !== undefined) return v8PoolSizeOption(fromConfig) !== undefined;
  const size = v8PoolSizeOption(env.NODE_OPTIONS);
  return size !== undefined && size !== env[RUN_V8_POOL_MARK];
}

/**
 * Adds `--v8-pool-size=1` to the execArgv of each project whose workers are forked
 * processes, unless the user chose a size for them. Idempotent: a rerun sees the flag
 * already there and leaves it.
 */
export function sizeForkWorkersV8Pool(projects: ReadonlyArray<{ config: ForkProjectConfig }>, rootEnv: ForkProjectConfig['env']): void {
  for (const { config } of projects) {
    if (typeof config.pool !== 'string' || !FORK_POOLS.has(config.pool)) continue;
    if (userV8PoolSize(config, rootEnv)) continue;
    config.execArgv = [...(config.execArgv ?? []), WORKER_V8_POOL];
  }
}
