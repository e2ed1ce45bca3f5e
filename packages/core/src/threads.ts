// Native thread pools read their size from the environment once, when the
// process (or esbuild's Go service) starts. These are the variables that
// size CPU work in JS build tools.
//
// Not UV_THREADPOOL_SIZE: libuv's pool does file I/O and blocking reads, not
// CPU work, and some tools block a thread of it for good (thread-loader's
// workers read their pipe there): below node's default of 4 they hang.

export const THREAD_VARIABLES = ['GOMAXPROCS', 'ROLLDOWN_WORKER_THREADS', 'RAYON_NUM_THREADS'] as const;

/** The environment that sizes every native pool to `slots` threads. */
export function threadEnv(slots: number): Record<(typeof THREAD_VARIABLES)[number], string> {
  const n = String(Math.max(1, Math.floor(slots)));
  return { GOMAXPROCS: n, ROLLDOWN_WORKER_THREADS: n, RAYON_NUM_THREADS: n };
}
