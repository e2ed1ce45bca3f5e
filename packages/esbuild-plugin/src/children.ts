// Finds esbuild's long-lived service among this process's children, and what
// it was started with (Linux only; core reads /proc). esbuild has no API that says whether its service is already running, and a
// running service cannot be resized. Counting service children before and
// after the call that would start one tells whether that call started it.
import { childProcesses, startEnvOf } from '@jobslot/core/plugin';

export { isChildAlive } from '@jobslot/core/plugin';

/**
 * Pids of this process's children that are esbuild services (`esbuild
 * --service=<version> --ping`), or undefined where /proc cannot say.
 */
export function esbuildServiceChildren(): number[] | undefined {
  // buildSync/transformSync start short-lived `--service=` processes without --ping
  return childProcesses()
    ?.filter(({ argv }) => argv.some((a) => a.startsWith('--service=')) && argv.includes('--ping'))
    .map(({ pid }) => pid);
}

/** GOMAXPROCS in the environment `pid` was started with, if /proc shows it. */
export function gomaxprocsOf(pid: number): number | undefined {
  const value = Number(startEnvOf(pid, 'GOMAXPROCS'));
  return Number.isInteger(value) && value > 0 ? value : undefined;
}
