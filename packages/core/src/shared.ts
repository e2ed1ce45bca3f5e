// One client and one limiter per process, for plugins that are instantiated
// many times in one process (ten esbuild builds, each with its own plugin
// instance, must still share one limit). Kept in the process state (state.ts)
// so the ESM and CJS copies of this package share them too.
import { JobClient } from './client.js';
import { createLimiter, type Limiter } from './limiter.js';
import { processState } from './state.js';

/** The process's JobClient, created from process.env on first use. */
export function sharedClient(): JobClient {
  const state = processState();
  return (state.client ??= JobClient.fromEnv());
}

/** The process's limiter over sharedClient(). */
export function sharedLimiter(): Limiter {
  const state = processState();
  return (state.limiter ??= createLimiter(sharedClient(), { label: 'shared' }));
}
