// The ES module builds load synchronously: no module in any package's graph
// has a top-level await. One did (core's client/platform.ts, to load one
// platform's folder), which made every graph that imports core async:
// - node (20.19 and up) refuses to require() such a graph
//   (ERR_REQUIRE_ASYNC_MODULE), so a CommonJS config could not load an
//   ES-module-only plugin: rollup's `rollup.config.cjs` requiring
//   @jobslot/vite-plugin/rollup failed before the build began;
// - node 22 and up crash (V8 "Check failed: (location_) != nullptr", SIGTRAP,
//   the whole process) when a worker thread is ended while its async module
//   graph is still evaluating: process.exit() or worker.terminate() while a
//   worker that imports core runs its top-level code.
// The second can only fail on node 22 and up (scripts/test-node.sh runs the
// suite there in CI); the first fails on every node this package supports.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, linkPackages, makeBins, ROOT, run, runMake, sh, tempDir } from './support/index.js';

const PACKAGES = ['core', 'esbuild-plugin', 'jest', 'vite-plugin', 'webpack-plugin'];
const ROLLUP = join(ROOT, 'test/node_modules/rollup/dist/bin/rollup');
const { available } = makeBins();

interface Manifest {
  type?: string;
  exports: Record<string, string | { import?: string | { default: string }; require?: unknown; default?: string }>;
}

/** Each package's entries that load as ES modules: its "import" targets, or "default" in a package of type module. */
function esmEntries(): { name: string; file: string }[] {
  const entries: { name: string; file: string }[] = [];
  for (const dir of PACKAGES) {
    const root = join(ROOT, 'packages', dir);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue;
      const esm = target.import ?? (manifest.type === 'module' ? target.default : undefined);
      const file = typeof esm === 'string' ? esm : esm?.default;
      if (file) entries.push({ name: `${dir}${subpath.slice(1)}`, file: join(root, file) });
    }
  }
  return entries;
}

/** A project whose node_modules holds the packages as an install would (links to the workspace's). */
function project(): string {
  const dir = tempDir('jobslot-esm-sync-');
  linkPackages(dir, PACKAGES);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'esm-sync', private: true }));
  return dir;
}

describe('the ES module builds load without a top-level await', () => {
  const entries = esmEntries();
  it('there are ES module entries to look at', () => {
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(['core', 'core/plugin', 'vite-plugin', 'vite-plugin/rollup', 'esbuild-plugin']));
  });

  it.each(entries)('require() loads $name (node’s require of an ES module)', async ({ file }) => {
    const result = await run('node', ['-e', `require(${JSON.stringify(file)})`], { env: cleanEnv() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each(available)('rollup.config.cjs requiring @jobslot/vite-plugin/rollup builds under make $version -j2, every token back', async (make) => {
    const dir = project();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/main.js'), "import { twice } from './twice.js';\nconsole.log(twice(21));\n");
    writeFileSync(join(dir, 'src/twice.js'), 'export const twice = (n) => n * 2;\n');
    // As rollup's CommonJS configs are written: rollup loads a .cjs config with require().
    writeFileSync(
      join(dir, 'rollup.config.cjs'),
      "const { jobslot } = require('@jobslot/vite-plugin/rollup');\nmodule.exports = { input: 'src/main.js', plugins: [jobslot()], output: { dir: 'dist', format: 'es' } };\n",
    );
    const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${sh(ROLLUP)} --silent -c rollup.config.cjs\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(readFileSync(join(dir, 'dist/main.js'), 'utf8')).toContain('twice(21)');
  });

  it('a worker thread that imports core, ended while its top-level code runs: the process lives on', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'worker.mjs'),
      "import { parentPort } from 'node:worker_threads';\nimport { JobClient } from '@jobslot/core';\nparentPort.postMessage(typeof JobClient);\nfor (;;);\n",
    );
    writeFileSync(
      join(dir, 'main.mjs'),
      [
        "import { Worker } from 'node:worker_threads';",
        "const worker = new Worker(new URL('./worker.mjs', import.meta.url));",
        "worker.once('message', async (said) => {",
        '  await worker.terminate();',
        "  console.log(`terminated; the worker had ${said}`);",
        '});',
        '',
      ].join('\n'),
    );
    const terminated = await run('node', ['main.mjs'], { cwd: dir, env: cleanEnv() });
    expect(terminated).toMatchObject({ code: 0, signal: null, stdout: 'terminated; the worker had function\n' });
    // process.exit() while a second such worker still runs its top-level code.
    writeFileSync(join(dir, 'exit.mjs'), "import { Worker } from 'node:worker_threads';\nconst w = new Worker(new URL('./worker.mjs', import.meta.url));\nw.once('message', () => process.exit(0));\n");
    const exited = await run('node', ['exit.mjs'], { cwd: dir, env: cleanEnv() });
    expect(exited).toMatchObject({ code: 0, signal: null });
  });
});
