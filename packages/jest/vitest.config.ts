import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'jest', include: ['test/**/*.test.ts'] },
});
