// rollup 4 and rolldown 1 on their own, optional peers of @jobslot/vite-plugin:
// `jobslot()` from @jobslot/vite-plugin/rollup in rollup.config.mjs or
// rolldown.config.mjs, in projects without vite, at both ends of each range,
// installed and built as the plugin's README section on them says; and the
// README's example typed in the tool's own defineConfig under strict TypeScript.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTests, entries, npmInstall, peerEnds, projectDir, readme, sources, strictTsc, write } from './project.js';

const BUNDLERS = {
  rollup: {
    config: 'rollup.config.mjs',
    text: "import terser from '@rollup/plugin-terser';\nimport { jobslot } from '@jobslot/vite-plugin/rollup';\n\nexport default {\n  input: { a: 'src/a.js', b: 'src/b.js', c: 'src/c.js' },\n  plugins: [jobslot()],\n  output: { dir: 'dist', plugins: [terser()] },\n};\n",
    // rollup's defineConfig takes the plugin in plugins and output.plugins
    typed: "import { defineConfig } from 'rollup';\nimport { jobslot } from '@jobslot/vite-plugin/rollup';\nexport default defineConfig({ input: 'src/a.js', plugins: [jobslot({ exclude: 'x' })], output: { dir: 'dist', plugins: [jobslot()] } });\n",
  },
  rolldown: {
    config: 'rolldown.config.mjs',
    // rolldown minifies natively: a plugin of the user's own gives jobslot JS hooks to govern.
    text: "import { jobslot } from '@jobslot/vite-plugin/rollup';\n\nconst banner = { name: 'banner', transform: (code, id) => `/* ${id.split('/').pop()} */\\n${code}` };\n\nexport default {\n  input: { a: 'src/a.js', b: 'src/b.js', c: 'src/c.js' },\n  plugins: [jobslot(), banner],\n  output: { dir: 'dist', minify: true },\n};\n",
    typed: "import { defineConfig } from 'rolldown';\nimport { jobslot } from '@jobslot/vite-plugin/rollup';\nexport default defineConfig({ input: 'src/a.js', plugins: [jobslot({ exclude: 'x' })], output: { dir: 'dist', plugins: [jobslot()] } });\n",
  },
} as const;
const OUTPUTS = ['dist/a.js', 'dist/b.js', 'dist/c.js'];

for (const kind of ['rollup', 'rolldown'] as const) {
  const { range, oldest, newest } = await peerEnds('vite-plugin', kind);
  const { npm, recipe } = readme('vite-plugin', kind, `/${kind} -c`);

  describe.each([newest, oldest])(`${kind} %s (optional peer range ${range}), installed with npm`, (version) => {
    let dir = '';
    beforeAll(async () => {
      dir = projectDir(`${kind}-${version}`);
      write(dir, {
        'package.json': JSON.stringify({ name: `${kind}-app`, private: true, type: 'module' }, null, 2),
        [BUNDLERS[kind].config]: BUNDLERS[kind].text,
        ...entries(['a', 'b', 'c'], [0, 4, 8]),
      });
      sources(dir);
      await npmInstall(dir, npm, { [kind]: version }, ['typescript@5.9.3', '@types/node@20']);
    });

    it('vite is not installed (an optional peer), and strict tsc takes the plugin in the tool\'s defineConfig', async () => {
      expect(existsSync(join(dir, 'node_modules/vite'))).toBe(false);
      // node16 resolution, skipLibCheck off, without vite's types.
      writeFileSync(join(dir, 'check.mts'), BUNDLERS[kind].typed);
      const r = await strictTsc(dir, 'check.mts');
      expect(r.code, r.output).toBe(0);
    });
    buildTests({ dir: () => dir, target: 'all', recipe, outputs: OUTPUTS, newest: version === newest });
  });
}
