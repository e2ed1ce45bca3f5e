// What each plugin costs a build before any work, in a fresh node process
// (issue 24, "no tax"): importing it, constructing it as its README does, and
// the RSS that adds. Minimum of RUNS (the minimum is what the code costs; the
// rest is other load on the machine). Outside make, so no jobserver is
// opened: what is left is option checking and module loading.
//   node bench/plugin-startup.mjs [--runs N]
// Before session 5, `new JobslotPlugin()` checked its options with
// schema-utils, which loads ajv and compiles the schema: 300-325 ms and
// +11 MB RSS per webpack or rspack process on the loaded 2-core machine.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 9;
const dist = (pkg) => join(ROOT, 'packages', pkg, 'dist/index.js');

const PLUGINS = {
  'webpack-plugin: new JobslotPlugin()': [dist('webpack-plugin'), 'new m.JobslotPlugin()'],
  'webpack-plugin: new JobslotPlugin({ minimizers: true })': [dist('webpack-plugin'), 'new m.JobslotPlugin({ minimizers: true })'],
  // Not plainly valid (a key set to undefined): checked by schema-utils, as every config was before.
  'webpack-plugin: new JobslotPlugin({ minimizers: undefined })': [dist('webpack-plugin'), 'new m.JobslotPlugin({ minimizers: undefined })'],
  'vite-plugin: jobslot()': [dist('vite-plugin'), 'm.jobslot()'],
  'esbuild-plugin: jobslot()': [dist('esbuild-plugin'), 'm.jobslot()'],
};

const script = (file, construct) => `
import { createRequire } from 'node:module';
const t0 = performance.now();
const m = await import(${JSON.stringify(file)});
const t1 = performance.now();
const rss0 = process.memoryUsage().rss;
${construct};
const t2 = performance.now();
const ajv = Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\\\/]ajv[\\\\/]/.test(f));
console.log(JSON.stringify({ importMs: t1 - t0, constructMs: t2 - t1, rssMb: (process.memoryUsage().rss - rss0) / 1048576, ajv }));`;

const env = { ...process.env };
for (const k of ['MAKEFLAGS', 'MFLAGS', 'CARGO_MAKEFLAGS', 'JOBSLOT_POOL', 'JOBSLOT_TRACE']) delete env[k];
const min = (xs) => Math.min(...xs);
console.log(`fresh node process each, minimum of ${runs}:`);
for (const [name, [file, construct]] of Object.entries(PLUGINS)) {
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(file, construct)], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout));
  }
  const f = (k) => min(rows.map((r) => r[k])).toFixed(1);
  console.log(`  ${name.padEnd(62)} import ${f('importMs')} ms, construct ${f('constructMs')} ms, +RSS ${f('rssMb')} MB${rows.some((r) => r.ajv) ? ', loads ajv' : ''}`);
}
