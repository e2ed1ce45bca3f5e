import { defineConfig } from 'vitest/config';

// One vitest run over every package and the end-to-end suite. Tests start real
// make, node and bundler processes, and several measure concurrency on a small
// machine, so files run one at a time.
export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
    fileParallelism: false,
    // One worker in all, across projects: the concurrency tests must not overlap.
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
