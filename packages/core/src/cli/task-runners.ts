// Task runners' concurrency, sized to the slots a command runs on, as
// threads.ts sizes native thread pools. A monorepo's runner starts its tasks
// itself, with no jobserver in between: `make -j2 -> jobslot run -- turbo run
// build` ran all 6 tasks at once (turbo's default is 10).
//
// Each runner reads its own variable once, at start (checked against the
// real tool where it installs here, see test/task-runners.test.ts):
// - TURBO_CONCURRENCY: turbo 2 (measured, 2.11).
// - NX_PARALLEL: Nx (measured, 21), and Lerna 6+, whose `lerna run` is Nx's task
//   runner, when `--concurrency` is not given (reasoned from its docs).
// - pnpm_config_workspace_concurrency: pnpm -r (measured, 12.4: it reads
//   pnpm_config_*, not npm_config_*; npm warns about an unknown
//   npm_config_workspace_concurrency in every `npm run`, so that one is not set).
// - MOON_CONCURRENCY: moon (measured where its binary installs).
// - RUSH_PARALLELISM: rush (reasoned: its docs name it for --parallelism; rush
//   needs its own install of pnpm and a rush.json, not tested here).
// - WIREIT_PARALLEL: wireit (measured, 0.14).
// A smaller value the user set is kept: it is their choice, and within the slots.
export const TASK_RUNNER_VARIABLES = ['TURBO_CONCURRENCY', 'NX_PARALLEL', 'pnpm_config_workspace_concurrency', 'MOON_CONCURRENCY', 'RUSH_PARALLELISM', 'WIREIT_PARALLEL'] as const;

/** The environment that sizes every task runner to at most `slots` tasks at once. */
export function taskRunnerEnv(slots: number, base: NodeJS.ProcessEnv = process.env): Record<(typeof TASK_RUNNER_VARIABLES)[number], string> {
  const n = Math.max(1, Math.floor(slots));
  const sized = {} as Record<(typeof TASK_RUNNER_VARIABLES)[number], string>;
  for (const variable of TASK_RUNNER_VARIABLES) {
    const own = Number(base[variable]);
    sized[variable] = String(Number.isInteger(own) && own >= 1 && own < n ? own : n);
  }
  return sized;
}
