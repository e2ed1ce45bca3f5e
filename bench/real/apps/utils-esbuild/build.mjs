// A utility library on lodash-es and date-fns, published the usual way: three
// entry points as ES modules (shared chunks) and as CommonJS for node, minified,
// with source maps.
// OUT: where the output goes. JOBSLOT_OFF: the baseline, plain esbuild.
import * as esbuild from 'esbuild';
import { build, jobslot } from '@jobslot/esbuild-plugin';

const out = process.env.OUT ?? 'dist';
const plain = Boolean(process.env.JOBSLOT_OFF);
const run = plain ? esbuild.build : build;
const common = {
  absWorkingDir: import.meta.dirname,
  entryPoints: ['src/dates.js', 'src/collections.js', 'src/report.js'],
  bundle: true,
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
  plugins: plain ? [] : [jobslot()],
};
await Promise.all([
  run({ ...common, format: 'esm', splitting: true, target: 'es2020', outdir: `${out}/esm` }),
  run({ ...common, format: 'cjs', platform: 'node', target: 'node18', outdir: `${out}/cjs` }),
]);
