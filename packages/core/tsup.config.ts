import { defineConfig } from 'tsup';
import { library } from '../../tsup.shared';

export default defineConfig([
  {
    ...library,
    // The runtime index and the subpath exports (package.json "exports").
    entry: {
      index: 'src/index.ts',
      server: 'src/exports/server.ts',
      trace: 'src/exports/trace.ts',
      plugin: 'src/exports/plugin.ts',
    },
    // One copy of each module across the entries, in CJS too (JobserverError
    // stays one class whichever entry a caller loads).
    splitting: true,
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
