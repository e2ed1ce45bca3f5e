import { defineConfig } from 'tsup';
import { library } from '../../tsup.shared';

// ESM only, as vite is from 7 on: a CommonJS declaration of this package would
// have to import vite's ESM-only types, which TypeScript refuses (TS1479) under
// node16 resolution. Node ≥ 20.19 can still require() it.
// `rollup`: the same plugin for rollup and rolldown on their own, typed without vite.
export default defineConfig({ ...library, entry: { index: 'src/index.ts', rollup: 'src/rollup.ts' }, format: ['esm'] });
