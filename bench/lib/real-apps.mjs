// The six real-code apps of bench/real (sources from real npm libraries),
// each with the command its tool's users run, in make's order: the two
// longest first. Shared by real-code.mjs (all six under one make) and
// serve-fleet.mjs (several such builds at once).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REAL = join(ROOT, 'bench/real');
export const BIN = join(REAL, 'node_modules/.bin');

export const APPS = [
  { name: 'dates-webpack', tool: 'webpack', cmd: `${BIN}/webpack --config webpack.config.cjs` },
  { name: 'rxjs-webpack', tool: 'webpack', cmd: `${BIN}/webpack --config webpack.config.cjs` },
  { name: 'mui-vite', tool: 'vite', cmd: `${BIN}/vite build` },
  { name: 'three-esbuild', tool: 'esbuild', cmd: 'node build.mjs' },
  { name: 'd3-vite', tool: 'vite', cmd: `${BIN}/vite build` },
  { name: 'utils-esbuild', tool: 'esbuild', cmd: 'node build.mjs' },
];

/** As on a 16-core machine: a preload makes os.cpus() and availableParallelism() say 16, and native pools' defaults follow. */
export const AS_ON_16 = {
  NODE_OPTIONS: `--require ${join(ROOT, 'test/support/cpus16.cjs')}`,
  FAKE_CORES: '16',
  GOMAXPROCS: '16',
  ROLLDOWN_WORKER_THREADS: '24',
  RAYON_NUM_THREADS: '16',
};

/** Quotes a string for a POSIX shell (the Makefiles' recipes). */
export const sh = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Ends the process, saying what to run, unless the packages and bench/real's dependencies are built. */
export function requireBuilt(extra = []) {
  for (const need of [join(ROOT, 'packages/webpack-plugin/dist/index.cjs'), join(BIN, 'vite'), ...extra]) {
    if (!existsSync(need)) {
      console.error(`${need} missing: run \`make build\` first`);
      process.exit(1);
    }
  }
}

/** sha256 over every file under `dir`, by relative path: one build's outputs, to compare with another's. */
export function hashTree(dir) {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${relative(dir, p)}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}
