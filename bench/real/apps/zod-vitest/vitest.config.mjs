// zod's own test suite (the published package ships its sources and their
// vitest tests, src/**/tests), run as zod's repository runs it: against the
// TypeScript sources (the "@zod/source" export condition), node environment,
// default pool (forks) and worker count.
// OUT: where the JSON results go. JOBSLOT_OFF: the baseline, without the plugin.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { jobslot } from '@jobslot/vite-plugin';

export default defineConfig({
  root: import.meta.dirname,
  plugins: process.env.JOBSLOT_OFF ? [] : [jobslot()],
  resolve: { conditions: ['@zod/source'] },
  ssr: { resolve: { conditions: ['@zod/source'] } },
  test: {
    // The installed package's tests: v4's core and mini (v4 classic's and
    // v3's too would take minutes here; three classic tests also need zod's
    // dev dependencies).
    dir: fileURLToPath(new URL('../../node_modules/zod/src/v4', import.meta.url)),
    include: ['core/tests/**/*.test.ts', 'mini/tests/**/*.test.ts'],
    exclude: [],
    server: { deps: { inline: [/zod/] } },
    // The benchmark runs this beside eleven other builds, and as on 16 cores (15 workers on 2 real
    // ones): vitest's 5 s default failed zod's generative tests there. Results, not timings, are compared.
    testTimeout: 120_000,
    reporters: process.env.OUT ? ['dot', ['json', { outputFile: `${process.env.OUT}/results.json` }]] : ['default'],
  },
});
