// Loads koffi lazily: a process without a jobserver never pays for the FFI
// (no native module, no extra RSS). Works from both the ESM and CJS builds.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { loadPrebuiltKoffi } from './prebuilt.js';

export type KoffiModule = typeof Koffi;

let koffi: KoffiModule | undefined;

export function loadKoffi(): KoffiModule {
  if (!koffi) {
    const require = createRequire(import.meta.url);
    // koffi's binary straight from its package where that is certain (prebuilt.ts: ~5 ms
    // less of every start); else koffi's own loader, its errors explained.
    koffi = loadPrebuiltKoffi(require);
    if (koffi) return koffi;
    try {
      koffi = require('koffi') as KoffiModule;
    } catch (error) {
      throw explainLoadError(error);
    }
  }
  return koffi;
}

/**
 * koffi's own words when its binary is missing ("Cannot find the native Koffi
 * module; did you bundle it correctly?") speak to bundlers; a user who
 * installed with --omit=optional or --ignore-scripts needs the fix instead.
 */
function explainLoadError(error: unknown): unknown {
  const e = error as NodeJS.ErrnoException;
  const said = String(e?.message ?? error).split('\n')[0] ?? '';
  const fix = 'reinstall @jobslot/core without --omit=optional or --ignore-scripts (koffi comes with a prebuilt binary per platform as an optional dependency)';
  if (e?.code === 'MODULE_NOT_FOUND' && /'koffi'/.test(said)) {
    return Object.assign(new Error(`koffi, the native library jobslot reads the jobserver with, is not installed: ${fix}`), { code: e.code, cause: error });
  }
  if (/native Koffi module|did you bundle/i.test(said)) {
    return Object.assign(new Error(`koffi has no native binary for ${process.platform}-${process.arch} here: ${fix}. (koffi said: ${said})`), { cause: error });
  }
  return error;
}
