// This platform's folder, and only this one: a plugin on Linux loads no
// Windows code, and the reverse. This form (a top-level await) is what the
// sources run as, under vitest; the built packages have none: their builds
// resolve this file to platform.esm.ts and platform.cjs.ts (tsup.config.ts),
// which require the folder's file in dist (why: platform.esm.ts).
import type { Platform } from '../backend.js';

export const platform: Platform =
  process.platform === 'win32' ? (await import('../windows/platform.js')).platform : (await import('../posix/platform.js')).platform;
