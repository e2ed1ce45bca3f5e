// @jobslot/esbuild-plugin as a new user installs it (the README's npm line,
// the tarballs standing in for the registry) with the oldest and the newest
// esbuild its peer range allows, running the README's usage (four builds at
// once, each in a slot, Go's threads sized to the slots) by the README's
// Makefile recipe.
import { beforeAll, describe } from 'vitest';
import { buildTests, entries, npmInstall, peerEnds, projectDir, readme, sources, write } from './project.js';

const { range, oldest, newest } = await peerEnds('esbuild-plugin', 'esbuild');
const { npm, recipe } = readme('esbuild-plugin', 'esbuild', 'build.mjs');
const OUTPUTS = ['dist/a.js', 'dist/b.js', 'dist/c.js', 'dist/d.js'];

describe.each([newest, oldest])(`esbuild %s (peer range ${range}), installed with npm`, (version) => {
  let dir = '';
  beforeAll(async () => {
    dir = projectDir(`esbuild-${version}`);
    write(dir, {
      'package.json': JSON.stringify({ name: 'esbuild-app', private: true, type: 'module' }, null, 2),
      'build.mjs': `import { build } from '@jobslot/esbuild-plugin';
await Promise.all(['a', 'b', 'c', 'd'].map((entry) =>
  build({ entryPoints: ['src/' + entry + '.js'], bundle: true, minify: true, outdir: 'dist' })));
`,
      ...entries(['a', 'b', 'c', 'd'], [0, 3, 6, 9]),
    });
    sources(dir);
    await npmInstall(dir, npm, { esbuild: version });
  });
  buildTests({ dir: () => dir, target: 'all', recipe, outputs: OUTPUTS, newest: version === newest });
});
