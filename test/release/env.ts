// What a new user's shell has: none of the jobserver, trace, npm, pnpm or
// vitest variables of the run that tests them, and no workspace bin on PATH.
import { cleanEnv, NOT_THIS_VITEST, ROOT } from '../support/index.js';

/** pnpm as the Makefile and CI fetch it. */
export const PNPM = ['npx', '--yes', 'pnpm@12.4.2'] as const;

/** The published packages, by folder under packages/. */
export const PACKAGES = ['core', 'esbuild-plugin', 'webpack-plugin', 'vite-plugin', 'jest'] as const;

/**
 * Overrides for support's cleanEnv / runMake: unset what `pnpm exec vitest`
 * set (npm_config_* would steer the fresh projects' npm installs, VITEST and
 * NODE_ENV their test runs and builds), then `extra`.
 */
export function userEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const unset = Object.keys(process.env).filter((k) => /^(MAKE.*|MFLAGS|CARGO_MAKEFLAGS|JOBSLOT_.*|npm_.*|NPM_.*|PNPM_.*|pnpm_.*|INIT_CWD)$/.test(k));
  const path = (process.env.PATH ?? '').split(':').filter((p) => p && !p.startsWith(ROOT)).join(':');
  return { ...Object.fromEntries(unset.map((k) => [k, undefined])), ...NOT_THIS_VITEST, PATH: path, ...extra };
}

/** The environment itself, for commands run outside make. */
export const userProcessEnv = (extra: Record<string, string | undefined> = {}) => cleanEnv(userEnv(extra));
