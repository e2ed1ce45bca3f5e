// The POSIX platform, as client/platform.ts loads it (on every platform but
// Windows): make's pipe and fifo jobservers, and `jobslot run` pools by path.
import type { Platform } from '../backend.js';
import { JobserverError } from '../errors.js';
import { PosixBackend } from './backend.js';
import { checkPoolHint, implicitSlotLock, isPool, parsePoolHint, sharesImplicitSlot } from './pool-hint.js';

export const platform: Platform = {
  open(auth, waitMode) {
    // The backend loads its FFI in its constructor: without a jobserver no native code is loaded.
    if (auth.kind === 'sem') throw new JobserverError('unsupported', `a semaphore jobserver (${auth.name}) is only usable on Windows`);
    return new PosixBackend(auth, { waitMode });
  },
  pools: { parse: parsePoolHint, check: checkPoolHint, isPool, sharesImplicitSlot, implicitSlotLock },
};
