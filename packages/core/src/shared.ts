// One client and one limiter per process, for plugins that are instantiated
// many times in one process (ten esbuild builds, each with its own plugin
// instance, must still share one limit). Kept on globalThis so the ESM and
// CJS copies of this package share them too.
import { JobClient } from './client.js';
import { createLimiter, type Limiter } from './limiter.js';

const CLIENT = Symbol.for('jobslot.shared-client');
const LIMITER = Symbol.for('jobslot.shared-limiter');

type Shared = Record<symbol, unknown>;

/** The process's JobClient, created from process.env on first use. */
export function sharedClient(): JobClient {
  const g = globalThis as Shared;
  return (g[CLIENT] ??= JobClient.fromEnv()) as JobClient;
}

/** The process's limiter over sharedClient(). */
export function sharedLimiter(): Limiter {
  const g = globalThis as Shared;
  return (g[LIMITER] ??= createLimiter(sharedClient(), { label: 'shared' })) as Limiter;
}
