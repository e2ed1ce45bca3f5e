// The Windows platform, as client/platform.ts loads it (on Windows only):
// make's semaphore jobserver, and the implicit slot of a `jobslot run` pool
// shared by the jobslot clients beneath it (pool-hint.ts).
import type { Platform } from '../backend.js';
import { JobserverError } from '../errors.js';
import { WindowsBackend } from './backend.js';
import { checkPoolHint, implicitSlotLock, isPool, parsePoolHint, sharesImplicitSlot } from './pool-hint.js';

export const platform: Platform = {
  open(auth) {
    if (auth.kind !== 'sem') throw new JobserverError('unsupported', `a ${auth.kind} jobserver is not usable on Windows`);
    return new WindowsBackend(auth.name);
  },
  pools: { parse: parsePoolHint, check: checkPoolHint, isPool, sharesImplicitSlot, implicitSlotLock },
};
