// three.js and its addons, bundled the way a library's own build script does
// it: two entry points, an ES module build with shared chunks and an IIFE
// build per entry, minified with source maps.
// OUT: where the output goes. JOBSLOT_OFF: the baseline, plain esbuild.
import * as esbuild from 'esbuild';
import { build, jobslot } from '@jobslot/esbuild-plugin';

const out = process.env.OUT ?? 'dist';
const plain = Boolean(process.env.JOBSLOT_OFF);
const run = plain ? esbuild.build : build;
const common = {
  absWorkingDir: import.meta.dirname,
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'es2020',
  logLevel: 'warning',
  plugins: plain ? [] : [jobslot()],
};
await Promise.all([
  run({ ...common, entryPoints: ['src/viewer.js', 'src/editor.js'], format: 'esm', splitting: true, outdir: `${out}/esm` }),
  run({ ...common, entryPoints: ['src/viewer.js'], format: 'iife', globalName: 'Viewer', outdir: `${out}/iife` }),
  run({ ...common, entryPoints: ['src/editor.js'], format: 'iife', globalName: 'Editor', outdir: `${out}/iife` }),
]);
