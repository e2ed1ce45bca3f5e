import { defineConfig } from 'tsup';
import { library } from '../../tsup.shared';

export default defineConfig([
  {
    ...library,
    // The build script empties dist/ first: two configs build into it at once.
    clean: false,
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
