// Three bundles built at once; with @jobslot/esbuild-plugin they run in the
// job slots this process holds from make (1 + tokens), not all at once, and
// its `build` starts esbuild's Go service with GOMAXPROCS = the slots held.
import * as esbuild from 'esbuild';
import { build, jobslot } from '@jobslot/esbuild-plugin';

const common = {
  bundle: true,
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  loader: { '.js': 'jsx' },
  logLevel: 'warning',
  // JOBSLOT_OFF: the benchmark's baseline, the same builds without jobslot.
  plugins: process.env.JOBSLOT_OFF ? [] : [jobslot()],
};

// JOBSLOT_OFF (the benchmark's baseline): plain esbuild.
const run = process.env.JOBSLOT_OFF ? esbuild.build : build;
// DIST: where to build (the demo builds several copies at once).
const dist = process.env.DIST ?? 'dist';
await Promise.all([
  run({ ...common, entryPoints: ['src/app.jsx'], outdir: `${dist}/app` }),
  run({ ...common, entryPoints: ['src/admin.jsx'], outdir: `${dist}/admin` }),
  run({ ...common, entryPoints: ['src/app.jsx'], outdir: `${dist}/legacy`, target: 'es2017' }),
]);
console.log(`esbuild-app: built ${dist}/app, ${dist}/admin, ${dist}/legacy`);
