// One client and one limiter per process, for plugins that are instantiated
// many times in one process (ten esbuild builds, each with its own plugin
// instance, must still share one limit). A record of the registry
// (state.ts), so the ESM and CJS copies of this package share them too.
import { JobClient } from '../client/client.js';
import { processRecord } from '../state.js';
import type { Limiter } from '../types.js';
import { createLimiter } from './limiter.js';

interface Shared {
  client: JobClient | undefined;
  limiter: Limiter | undefined;
}

function shared(): Shared {
  return processRecord<Shared>('shared', () => ({ client: undefined, limiter: undefined }), {
    // A reset (tests) closes them: their tokens go back.
    reset: (s) => {
      s.limiter?.close();
      s.client?.close();
    },
  });
}

/** The process's JobClient, created from process.env on first use. */
export function sharedClient(): JobClient {
  const s = shared();
  return (s.client ??= JobClient.fromEnv());
}

/** The process's limiter over sharedClient(). */
export function sharedLimiter(): Limiter {
  const s = shared();
  return (s.limiter ??= createLimiter(sharedClient(), { label: 'shared' }));
}
