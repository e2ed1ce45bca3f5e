// Task runners' concurrency, sized to the slots a command runs on, as
// threads.ts sizes native thread pools. A monorepo's runner starts its tasks
// itself, with no jobserver in between: `make -j2 -> jobslot run -- turbo run
// build` ran all 6 tasks at once (turbo's default is 10).
//
// Each runner reads its own variable once, at start (checked against the
// real tool where it installs here, see test/task-runners.test.ts):
// - TURBO_CONCURRENCY: turbo 2 (measured, 2.11).
// - NX_PARALLEL: Nx (measured, 21.6: 1 and 2 ran 1 and 2 tasks at once, its
//   default 3). Lerna 6+ hands `lerna run` to Nx's task runner with Nx's
//   default of 3 when `--concurrency` is not given: reasoned from Lerna's docs,
//   not run here (lerna reads no variable of its own).
// - pnpm_config_workspace_concurrency: pnpm -r (measured, 12.4: it reads
//   pnpm_config_*, not npm_config_*; npm warns about an unknown
//   npm_config_workspace_concurrency in every `npm run`, so that one is not set).
// - MOON_CONCURRENCY: moon (measured, 2.5.5 from npm's @moonrepo/cli).
// - RUSH_PARALLELISM: rush (reasoned from its docs, where it stands for
//   --parallelism; rush installs its own package manager and wants a
//   rush.json: not run here).
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
