// The most workers a jest run takes slots for: the config's `maxWorkers`,
// read as jest reads it (jest-config's getMaxWorkers: a number, or a
// percentage of the cores), else one per core. Alone, jest starts one worker
// per core less one, keeping a core for its own process; under make that
// process runs on a slot its workers share (it mostly waits while they run),
// so the slots decide, up to the cores. Watch mode is not sized at all.
import { availableParallelism } from 'node:os';

/** jest's own parse of `maxWorkers`: "50%" of the cores, or an integer; anything below 1 is 1. */
export function parseWorkers(value: number | string): number {
  const parsed = Number.parseInt(String(value), 10);
  if (typeof value === 'string' && value.trim().endsWith('%') && parsed > 0 && parsed <= 100) {
    return Math.max(1, Math.floor((parsed / 100) * availableParallelism()));
  }
  return parsed > 0 ? parsed : 1;
}

export function jestCeiling(maxWorkers: number | string | undefined): number {
  if (maxWorkers !== undefined) return parseWorkers(maxWorkers);
  return Math.max(1, availableParallelism());
}

/**
 * The jest command-line flags that decide the workers themselves, over the
 * config: `--maxWorkers`/`-w` (the user's number wins), `--runInBand`/`-i`
 * and `--detectOpenHandles` (tests run in jest's own process), and watch
 * mode (a long-lived process that idles between runs: holding tokens there
 * would keep them from make while nothing runs). Returns the flag found.
 */
export function workersFlag(argv: readonly string[]): string | undefined {
  return argv.find((a) =>
    /^(--max-?[wW]orkers|-w|--run-?[iI]n-?[bB]and|-i|--detect-?[oO]pen-?[hH]andles|--watch|--watch-?[aA]ll)(=.*)?$/.test(a) || /^-w\d+$/.test(a),
  );
}
