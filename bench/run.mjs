// Every benchmark, one after the other, each printing its tables.
//   node bench/run.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const benches = [
  ['core.mjs', quick ? ['--quick'] : []],
  ['esbuild-plugin.mjs', []],
  ['webpack-plugin.mjs', []],
  ['vite-plugin.mjs', []],
  ['demo.mjs', quick ? ['--runs', '1'] : []],
  ['wrapper.mjs', quick ? ['--runs', '3'] : []],
  ['speculative.mjs', quick ? ['--runs', '1'] : []],
  ['real-code.mjs', quick ? ['--runs', '1', '--warmup', '0'] : []],
  ['fairness.mjs', quick ? ['--seconds', '15'] : ['--runs', '3']],
  ['serve-fleet.mjs', quick ? ['--apps', 'utils-esbuild,d3-vite'] : []],
];
let failed = 0;
for (const [file, args] of benches) {
  if (!existsSync(join(HERE, file))) continue;
  console.log(`\n===== ${file} ${args.join(' ')}`);
  const r = spawnSync('node', [join(HERE, file), ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
