// The test runners as a new user installs them: vitest (an optional peer of
// the vite plugin, `jobslot()` in vitest.config.mjs) and jest (@jobslot/jest's
// peer, `withJobslot` in jest.config.js), oldest and newest each, a project
// of three CPU-bound test files run by the README's recipe under make -j2:
// tokens taken for workers and all given back, workers within the slots by
// the test files' own start/end log, and the same tests passing without make.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeBins, peakFromLog, workerTestFile } from '../support/index.js';
import { buildAlone, makeBuild, npmInstall, peerEnds, projectDir, readme, semver, write } from './project.js';

const RUNNERS = { vitest: 'vite-plugin', jest: 'jest' } as const;
// Three passed, three skipped: vitest prints `Tests  3 passed | 3 skipped (6)`, jest `Tests:  3 skipped, 3 passed, 6 total`.
const PASSED = /Tests:?\s+(?:3 skipped, )?3 passed/;

for (const tool of ['vitest', 'jest'] as const) {
  const pkg = RUNNERS[tool];
  const { range, oldest, newest } = await peerEnds(pkg, tool);
  const { npm, recipe } = readme(pkg, tool, `.bin/${tool}`);

  describe.each([newest, oldest])(`${tool} %s (peer range ${range}), installed with npm`, (version) => {
    let dir = '';
    let log = '';
    beforeAll(async () => {
      dir = projectDir(`${tool}-${version}`);
      log = join(dir, 'workers.log');
      // maxWorkers 3: on a 2-core machine the runner would start one worker, and take no token.
      write(
        dir,
        tool === 'vitest'
          ? {
              'package.json': JSON.stringify({ name: 'vitest-app', private: true, type: 'module' }, null, 2),
              'vitest.config.mjs': "import { defineConfig } from 'vitest/config';\nimport { jobslot } from '@jobslot/vite-plugin';\n\nexport default defineConfig({\n  plugins: [jobslot()],\n  test: { maxWorkers: 3 },\n});\n",
            }
          : {
              'package.json': JSON.stringify({ name: 'jest-app', private: true }, null, 2),
              'jest.config.js': "const { withJobslot } = require('@jobslot/jest');\n\nmodule.exports = withJobslot({\n  testEnvironment: 'node',\n  maxWorkers: 3,\n});\n",
            },
      );
      for (let i = 0; i < 3; i++) {
        const head = tool === 'vitest' ? "import { afterAll, beforeAll, expect, test } from 'vitest';\n" : '';
        write(dir, { [`test/t${i}.test.js`]: head + workerTestFile(tool, i, tool === 'jest') });
      }
      // vitest 4.0 runs on the vite of its time, 7.1: npm would give the plugin's peer vite 8, and with
      // vite 7.3 vitest 4.0.0 fails every test file ("Unknown method: getBuiltins"), plugin or not.
      const extra = tool === 'vitest' && semver.lt(version, '4.1.0') ? ['vite@7.1'] : [];
      await npmInstall(dir, npm, { [tool]: version }, extra);
    });

    const { available } = makeBins();
    for (const make of version === newest ? available : available.slice(0, 1)) {
      it(`make ${make.version} -j2: the tests pass, workers within the slots, tokens taken, every one back`, async () => {
        writeFileSync(log, '');
        await makeBuild({ make, dir, target: 'check', recipe, outputs: [], shows: PASSED, warning: /^jobslot: /m, env: { WORKER_LOG: log } });
        const workers = peakFromLog(readFileSync(log, 'utf8'));
        console.log(`${tool} ${version}, make ${make.version} -j2: test files at once ${workers.peak} of ${workers.jobs}`);
        expect.soft(workers.jobs, 'test files run').toBe(3);
        expect.soft(workers.peak, 'test files at once (their own start/end log)').toBeLessThanOrEqual(2);
      });
    }
    it('without make: the tests pass, no jobslot warning', async () => {
      writeFileSync(log, '');
      await buildAlone({ dir, recipe, outputs: [], shows: PASSED, env: { WORKER_LOG: log } });
      const workers = peakFromLog(readFileSync(log, 'utf8'));
      // For comparison with make -j2: maxWorkers 3 lets all three run at once.
      console.log(`${tool} ${version}, no make: test files at once ${workers.peak} of ${workers.jobs}`);
      expect(workers.jobs).toBe(3);
    });
  });
}
