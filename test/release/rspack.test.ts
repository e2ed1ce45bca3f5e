// @jobslot/webpack-plugin's optional @rspack/core peer: the oldest and newest
// rspack 2 its range allows, installed as the README's rspack section says
// (no webpack), built by its recipe (`jobslot run -- rspack build`, the plugin
// in an array config, whose compilers run in slots as webpack's do), and the
// plugin's types in rspack's own Configuration under strict TypeScript.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTests, entries, npmInstall, peerEnds, projectDir, readme, sources, strictTsc, versionEnds, write } from './project.js';

const { range, oldest, newest } = await peerEnds('webpack-plugin', '@rspack/core');
const { npm, recipe } = readme('webpack-plugin', '@rspack/core', 'rspack build');
const NAMES = ['a', 'b', 'c'];

describe.each([newest, oldest])(`@rspack/core %s (peer range ${range}), installed with npm`, (version) => {
  let dir = '';
  beforeAll(async () => {
    dir = projectDir(`rspack-${version}`);
    write(dir, {
      'package.json': JSON.stringify({ name: 'rspack-app', private: true }, null, 2),
      'rspack.config.mjs': `import { JobslotPlugin } from '@jobslot/webpack-plugin';
const jobslot = new JobslotPlugin();
export default ${JSON.stringify(NAMES)}.map((name) => ({
  name,
  mode: 'production',
  entry: './src/' + name + '.js',
  output: { path: import.meta.dirname + '/dist', filename: name + '.js' },
  plugins: [jobslot],
}));
`,
      ...entries(NAMES, [0, 4, 8]),
    });
    sources(dir);
    // @rspack/cli is not published with every @rspack/core release: the newest one not newer than the core.
    const [, cli] = await versionEnds('@rspack/cli', `>=2.0.0 <=${version}`);
    await npmInstall(dir, npm, { '@rspack/core': version, '@rspack/cli': cli }, ['typescript@5.9.3', '@types/node@20']);
  });

  it('webpack is not installed (an optional peer), and strict tsc takes the plugin in rspack\'s Configuration', async () => {
    expect(existsSync(join(dir, 'node_modules/webpack'))).toBe(false);
    writeFileSync(join(dir, 'check.mts'), "import type { Configuration } from '@rspack/core';\nimport { JobslotPlugin } from '@jobslot/webpack-plugin';\nexport const config: Configuration = { plugins: [new JobslotPlugin({ threadLoader: true })] };\n");
    const r = await strictTsc(dir, 'check.mts');
    expect(r.code, r.output).toBe(0);
  });
  buildTests({ dir: () => dir, target: 'all', recipe, outputs: NAMES.map((n) => `dist/${n}.js`), newest: version === newest });
});
