import { defineProject } from 'vitest/config';

export default defineProject({
  // Project configs do not inherit the root's timeouts: real make and bundler
  // runs on a 2-core machine need more than vitest's 5 s default.
  test: { name: 'e2e', testTimeout: 60_000, hookTimeout: 60_000, include: ['**/*.test.ts'], exclude: ['**/node_modules/**', 'fixtures/**', 'release/**'] },
});
