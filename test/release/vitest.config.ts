import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The release check: the packages packed as `changeset publish` packs them,
// installed from the tarballs into fresh projects outside the workspace with
// npm (and pnpm), at both ends of each peer range, and built under real make.
// It needs the npm registry and takes minutes, so it is not part of `make
// test` (test/vitest.config.ts leaves this folder out); CI runs it after the
// suite:
//
//   pnpm exec vitest run --config test/release/vitest.config.ts [tarballs|esbuild|webpack|rspack|vite|rollup|runners]
//
// JOBSLOT_KEEP_RELEASE=1 keeps the projects (their path is printed) to look into.
export default defineConfig({
  // vite's cache beside the workspace's, not in a node_modules of its own under test/release.
  cacheDir: fileURLToPath(new URL('../../node_modules/.vite/release', import.meta.url)),
  test: {
    name: 'release',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.ts'],
    // Packs the packages once, for every file (pack.setup.ts).
    globalSetup: ['./pack.setup.ts'],
    // One file at a time: the builds run under make -j2 on a small machine and
    // count the slots they took.
    fileParallelism: false,
    maxWorkers: 1,
    // npm installs from the registry and production builds at the oldest versions.
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
