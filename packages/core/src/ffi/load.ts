// Loads koffi lazily: a process without a jobserver never pays for the FFI
// (no native module, no extra RSS). Works from both the ESM and CJS builds.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

export type KoffiModule = typeof Koffi;

let koffi: KoffiModule | undefined;

export function loadKoffi(): KoffiModule {
  if (!koffi) {
    const require = createRequire(import.meta.url);
    koffi = require('koffi') as KoffiModule;
  }
  return koffi;
}
