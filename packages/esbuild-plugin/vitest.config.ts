import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'esbuild-plugin', include: ['test/**/*.test.ts'] },
});
