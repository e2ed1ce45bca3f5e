// @jobslot/esbuild-plugin/testing: what tests need and users should not.
import { serviceFor, defaultEsbuild, type EsbuildModule } from './service.js';

/** What this package knows of a service: GOMAXPROCS and pid (where it started it or /proc shows them), slots held, builds in flight, (re)starts. */
export interface ServiceState { readonly threads: number | undefined; readonly pid: number | undefined; readonly slots: number; readonly inFlight: number; readonly starts: number }

/** What this package knows of `esbuild`'s service (default: the esbuild it resolves). */
export function serviceState(esbuild?: typeof import('esbuild')): ServiceState {
  return serviceFor((esbuild as EsbuildModule | undefined) ?? defaultEsbuild()).state;
}
