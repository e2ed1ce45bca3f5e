// The Windows platform, as client/platform.ts loads it (on Windows only):
// make's semaphore jobserver. No JOBSLOT_POOL hints (`pools`): a Windows
// `jobslot run` sub-pool is a semaphore, found by its name in MAKEFLAGS.
import type { Platform } from '../backend.js';
import { JobserverError } from '../errors.js';
import { WindowsBackend } from './backend.js';

export const platform: Platform = {
  open(auth) {
    if (auth.kind !== 'sem') throw new JobserverError('unsupported', `a ${auth.kind} jobserver is not usable on Windows`);
    return new WindowsBackend(auth.name);
  },
  pools: undefined,
};
