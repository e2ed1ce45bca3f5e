// A jobslot plugin in the wrong tool's config says what to use instead, once,
// and the build goes on: never a crash (the webpack plugin in a vite config
// crashed under make reading `beforeRun`; in rollup, INVALID_PLUGIN_HOOK;
// the vite plugin in webpack, a schema error), never silence. Under real make
// (where the plugins act) and without it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, makeBins, ROOT, runMake, run, tempDir } from './support/index.js';

const BUILD = join(ROOT, 'test/fixtures/misplaced/build.mjs');
const make = makeBins().available[0]!;

const USE = {
  vite: "import { jobslot } from '@jobslot/vite-plugin'; plugins: [jobslot()]",
  rollup: "import { jobslot } from '@jobslot/vite-plugin/rollup'; plugins: [jobslot()]",
  webpack: "const { JobslotPlugin } = require('@jobslot/webpack-plugin'); plugins: [new JobslotPlugin()]",
};

// [tool, plugin put in its config, what the message must tell to use]
const CASES = [
  ['vite', 'webpack', USE.vite],
  ['vite', 'rollup', USE.vite],
  ['rollup', 'webpack', USE.rollup],
  ['rolldown', 'webpack', USE.rollup],
  ['rollup', 'vite', "import { jobslot } from '@jobslot/vite-plugin/rollup'"],
  ['rolldown', 'vite', "import { jobslot } from '@jobslot/vite-plugin/rollup'"],
  ['webpack', 'vite', USE.webpack],
  ['webpack', 'rollup', USE.webpack],
] as const;

const count = (text: string, part: string) => text.split(part).length - 1;

describe.each(CASES)('%s with the jobslot %s plugin', (tool, plugin, use) => {
  it(`under make ${make.version}: builds, and says once to use ${use.split(';')[0]}`, async () => {
    const result = await runMake({ make, dir: tempDir(), jobs: 2, makefile: `all:\n\t+@node ${BUILD} ${tool} ${plugin}\n` });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    expect(result.stdout).toContain('built');
    expect(count(output, use), output).toBe(1);
    expect(output).not.toMatch(/Cannot read properties|INVALID_PLUGIN_HOOK|Invalid configuration object/);
  });

  // The vite plugin in rollup or rolldown changes nothing without a jobserver, and says so only under make.
  it.skipIf(plugin === 'vite' && tool !== 'webpack')('without make: builds, and says once what to use', async () => {
    const result = await run('node', [BUILD, tool, plugin], { env: cleanEnv() });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    expect(count(output, use), output).toBe(1);
  });
});
