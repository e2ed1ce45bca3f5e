// @jobslot/webpack-plugin with webpack 5 as a new user installs it (the
// README's npm line, the tarballs standing in for the registry), at the
// oldest and newest webpack its peer range allows: an array config (a
// MultiCompiler runs its compilers at once, each run in a slot) in the
// README's CommonJS shape, built by the README's Makefile recipe.
import { beforeAll, describe } from 'vitest';
import { buildTests, entries, npmInstall, peerEnds, projectDir, readme, semver, sources, write } from './project.js';

const { range, oldest, newest } = await peerEnds('webpack-plugin', 'webpack');
const { npm, recipe } = readme('webpack-plugin', 'webpack', 'webpack --mode');
const NAMES = ['a', 'b', 'c'];

describe.each([newest, oldest])(`webpack %s (peer range ${range}), installed with npm`, (version) => {
  let dir = '';
  beforeAll(async () => {
    dir = projectDir(`webpack-${version}`);
    write(dir, {
      'package.json': JSON.stringify({ name: 'webpack-app', private: true }, null, 2),
      'webpack.config.js': `const { JobslotPlugin } = require('@jobslot/webpack-plugin');
module.exports = ${JSON.stringify(NAMES)}.map((name) => ({
  name,
  mode: 'production',
  entry: './src/' + name + '.js',
  output: { path: __dirname + '/dist', filename: name + '.js' },
  plugins: [new JobslotPlugin()],
}));
`,
      ...entries(NAMES, [0, 4, 8]),
    });
    sources(dir);
    // webpack-cli 6 and later want a recent webpack; 5 covers all of webpack 5.
    await npmInstall(dir, npm, { webpack: version, ...(semver.gte(version, '5.101.0') ? {} : { 'webpack-cli': '5' }) });
  });
  buildTests({ dir: () => dir, target: 'all', recipe, outputs: NAMES.map((n) => `dist/${n}.js`), newest: version === newest });
});
