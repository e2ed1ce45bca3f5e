// This platform's folder, and only this one: a plugin on Linux loads no
// Windows code, and the reverse. The ES module build loads it with a
// top-level await (a chunk of its own per platform); the CommonJS build
// resolves this file to platform.cjs.ts (tsup.config.ts), which requires it.
import type { Platform } from '../backend.js';

export const platform: Platform =
  process.platform === 'win32' ? (await import('../windows/platform.js')).platform : (await import('../posix/platform.js')).platform;
