// When rolldown sizes its native threads (issue 24, "no tax": can rolldown be
// sized from inside its own process, so a README could drop `jobslot run`?).
// Counts the process's threads by name (/proc/self/task/*/comm) at start,
// once rolldown is imported, and after a first build, with
// ROLLDOWN_WORKER_THREADS, RAYON_NUM_THREADS and TOKIO_WORKER_THREADS set to 1
// never, before the import, or after it (as a plugin in rolldown.config.js
// could, at the earliest); and what a config file sees under `rolldown -c`.
// Linux only. Asserts nothing.
//   node bench/rolldown-threads.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REAL = join(dirname(fileURLToPath(import.meta.url)), 'real');
const dir = mkdtempSync(join(tmpdir(), 'rolldown-threads-'));
writeFileSync(join(dir, 'in.js'), 'export const a = 1;\nconsole.log(a);\n');
const threads = `(() => { const { readdirSync, readFileSync } = require('node:fs'); const n = {};
  for (const t of readdirSync('/proc/self/task')) { const c = readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim(); n[c] = (n[c] ?? 0) + 1; }
  return Object.entries(n).map(([k, v]) => k + ' ' + v).join(', '); })()`;
const script = (when) => `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const one = () => { for (const k of ['ROLLDOWN_WORKER_THREADS', 'RAYON_NUM_THREADS', 'TOKIO_WORKER_THREADS']) process.env[k] = '1'; };
${when === 'before import' ? 'one();' : ''}
const { rolldown } = await import(require.resolve('rolldown', { paths: [${JSON.stringify(REAL)}] }).replace(/index\\.(c?js)$/, 'index.mjs'));
const imported = ${threads};
${when === 'after import' ? 'one();' : ''}
const bundle = await rolldown({ input: 'in.js', logLevel: 'silent' });
await bundle.generate({});
console.log(\`imported: \${imported} | after a build: \${${threads}}\`);
await bundle.close();`;
console.log(`threads by name, ${process.arch}, ${spawnSync('nproc').stdout.toString().trim()} CPUs (rolldown-worker: tokio's workers, and rayon's, which inherit the name)`);
for (const when of ['never', 'before import', 'after import']) {
  writeFileSync(join(dir, 't.mjs'), script(when));
  const env = { ...process.env };
  for (const k of ['ROLLDOWN_WORKER_THREADS', 'RAYON_NUM_THREADS', 'TOKIO_WORKER_THREADS']) delete env[k];
  const r = spawnSync(process.execPath, ['t.mjs'], { cwd: dir, env, encoding: 'utf8' });
  console.log(`  set to 1 ${when.padEnd(13)} ${r.stdout.trim() || r.stderr.trim()}`);
}
writeFileSync(join(dir, 'rolldown.config.mjs'), `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nconsole.error('  a config under rolldown -c sees: ' + ${threads});\nexport default { input: 'in.js', output: { dir: 'out' } };\n`);
const r = spawnSync(join(REAL, 'node_modules/.bin/rolldown'), ['-c'], { cwd: dir, encoding: 'utf8' });
console.log(r.stderr.split('\n').find((l) => l.includes('config')) ?? r.stderr);
