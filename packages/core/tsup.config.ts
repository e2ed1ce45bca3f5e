import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM and CJS (webpack configs are often CommonJS), with types.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: false,
    target: 'node20',
    sourcemap: true,
    // import.meta.url in the CJS build (used to load koffi lazily)
    shims: true,
  },
  {
    // The `jobslot` command: ESM only, run by node.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
    // the library build cleans dist/; this one must not wipe it
    clean: false,
  },
]);
