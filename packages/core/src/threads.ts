// Native thread pools read their size from the environment once, when the
// process (or esbuild's Go service) starts. These are the variables that
// size CPU work in JS build tools.
//
// - GOMAXPROCS: Go (esbuild's service, TypeScript 7's tsc).
// - ROLLDOWN_WORKER_THREADS: rolldown (vite 8).
// - RAYON_NUM_THREADS: Rust's rayon global pool (rolldown, rspack: code
//   splitting, SWC and Lightning CSS minimizers, chunk hashing).
// - TOKIO_WORKER_THREADS: tokio's worker pool (rspack's native core runs every
//   module build and compilation pass on it; measured in test/rspack.test.ts,
//   rspack's runtime reads nothing else).
// - RSPACK_LOADER_WORKER_THREADS: rspack's worker threads for loaders marked
//   `parallel` (experiments.parallelLoader), cpus - 1 otherwise.
//
// Not UV_THREADPOOL_SIZE: libuv's pool does file I/O and blocking reads, not
// CPU work, and some tools block a thread of it for good (thread-loader's
// workers read their pipe there): below node's default of 4 they hang. Nor,
// for the same reason, RSPACK_BLOCKING_THREADS (tokio's blocking pool in
// rspack: file reads and writes).

export const THREAD_VARIABLES = ['GOMAXPROCS', 'ROLLDOWN_WORKER_THREADS', 'RAYON_NUM_THREADS', 'TOKIO_WORKER_THREADS', 'RSPACK_LOADER_WORKER_THREADS'] as const;

/** The environment that sizes every native pool to `slots` threads. */
export function threadEnv(slots: number): Record<(typeof THREAD_VARIABLES)[number], string> {
  const n = String(Math.max(1, Math.floor(slots)));
  return { GOMAXPROCS: n, ROLLDOWN_WORKER_THREADS: n, RAYON_NUM_THREADS: n, TOKIO_WORKER_THREADS: n, RSPACK_LOADER_WORKER_THREADS: n };
}

/**
 * Runs `fn` with process.env sizing every native pool to `slots` threads,
 * then puts every touched variable back as it was. For a tool that starts
 * its native process from a synchronous call with no `env` option (esbuild's
 * Go service: spawn sees process.env at that instant and never again): the
 * variables size it without leaking into other children the script starts.
 */
export function withThreadEnv<T>(slots: number, fn: () => T): T {
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(threadEnv(slots))) {
    saved.set(key, process.env[key]);
    process.env[key] = value;
  }
  try {
    return fn();
  } finally {
    for (const [key, value] of saved) {
      // Assigning undefined would store the string "undefined".
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
