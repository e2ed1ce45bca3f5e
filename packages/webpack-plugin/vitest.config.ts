import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'webpack-plugin', include: ['test/**/*.test.ts'] },
});
