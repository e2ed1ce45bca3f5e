// Native thread pools read their size from the environment once, when the
// process (or esbuild's Go service) starts. These are the variables that
// matter for JS build tools.

export const THREAD_VARIABLES = ['GOMAXPROCS', 'ROLLDOWN_WORKER_THREADS', 'RAYON_NUM_THREADS', 'UV_THREADPOOL_SIZE'] as const;

/** The environment that sizes every native pool to `slots` threads. */
export function threadEnv(slots: number): Record<(typeof THREAD_VARIABLES)[number], string> {
  const n = String(Math.max(1, Math.floor(slots)));
  return { GOMAXPROCS: n, ROLLDOWN_WORKER_THREADS: n, RAYON_NUM_THREADS: n, UV_THREADPOOL_SIZE: n };
}
