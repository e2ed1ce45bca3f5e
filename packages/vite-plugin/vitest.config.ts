import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'vite-plugin', include: ['test/**/*.test.ts'] },
});
