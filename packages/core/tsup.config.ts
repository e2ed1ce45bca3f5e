import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM and CJS (webpack configs are often CommonJS), with types.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'node20',
    sourcemap: true,
  },
  {
    // The `jobslot` command: ESM only, run by node.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
