// client/platform.ts for the CommonJS build (tsup.config.ts resolves it
// here): CommonJS has no top-level await, and require() loads one platform's
// module, on first use, and only that one.
import type { Platform } from '../backend.js';

declare const require: (id: string) => { platform: Platform };

export const platform: Platform = process.platform === 'win32' ? require('../windows/platform.js').platform : require('../posix/platform.js').platform;
