#!/usr/bin/env node
// The release check, as a new user meets the packages (CI runs it from .ci/run):
//
//   1. Packs the packages (core, the three plugins, jest) with `pnpm pack` (what `changeset publish` does:
//      `workspace:*` becomes the real version) and checks each tarball: no
//      workspace: range left, a LICENSE, publint and arethetypeswrong clean;
//      `npm pack` refuses.
//   2. Installs the tarballs with npm into fresh projects outside the workspace,
//      one per plugin (esbuild, webpack 5, a vite react-ts app), each with the
//      newest version of its tool that the plugin's peer range allows, and with
//      the oldest one (the version matrix): the declared range is what is tested.
//   3. Installs the vite app with pnpm, build scripts approved as its README says.
//   4. Builds each under real make (system make, 4.3 here) -j2 with the plugin
//      active and checks every token came back: make prints no `INTERNAL:` leak
//      line, a jobslot trace shows tokens taken and `jobslot report` finds all
//      of them returned. The newest of each also under make 4.4.1 (fifo), and
//      without make (no warning, same files built).
//
// The READMEs' install lines (npm and pnpm) and Makefile recipes are the ones
// this script runs: it reads them from each plugin's README (readme() below),
// with the tarballs standing in for the @jobslot packages.
//
//   5. The test runners (issue 14): vitest (an optional peer of the vite plugin)
//      and jest (@jobslot/jest's peer), oldest and newest, each a project of
//      three test files run by the README's recipe under make -j2: tokens
//      taken and all back, the same results as without make.
//
//   node scripts/check-pack.mjs [--only esbuild|webpack|vite|rollup|rolldown|rspack|vitest|jest] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const semver = require('semver');

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = ['npx', '--yes', 'pnpm@12.4.2'];
const PACKAGES = ['core', 'esbuild-plugin', 'webpack-plugin', 'vite-plugin', 'jest'];
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const keep = args.includes('--keep');
if (only !== undefined && !['esbuild', 'webpack', 'vite', 'rollup', 'rolldown', 'rspack', 'vitest', 'jest'].includes(only)) {
  console.error(`check-pack: --only takes esbuild, webpack, vite, rollup, rolldown, rspack, vitest or jest, not ${only}`);
  process.exit(2);
}

// An environment without any jobserver or trace of ours: the projects are a new user's.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(MAKEFLAGS|MFLAGS|MAKELEVEL|MAKE_TERMOUT|MAKE_TERMERR|CARGO_MAKEFLAGS|JOBSLOT_.*|npm_.*|PNPM_.*|pnpm_.*)$/.test(k)),
);

const failures = [];
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
function step(message) {
  console.log(`== [${elapsed()}] ${message}`);
}
function check(ok, message) {
  console.log(`   ${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
  return ok;
}
function run(cmd, argv, options = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: cleanEnv, maxBuffer: 64 << 20, ...options });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 && !options.allowFail) {
    console.log(output.split('\n').slice(-40).join('\n'));
    throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status ?? r.signal} in ${options.cwd ?? process.cwd()}`);
  }
  return { status: r.status, output };
}

const work = mkdtempSync(join(tmpdir(), 'jobslot-pack-'));
const tarballs = {};

// ---------------------------------------------------------------- 1. pack
function pack() {
  step(`pnpm pack the ${PACKAGES.length} packages into ${work}/tarballs`);
  const dest = join(work, 'tarballs');
  mkdirSync(dest);
  for (const p of PACKAGES) {
    const dir = join(ROOT, 'packages', p);
    run(PNPM[0], [...PNPM.slice(1), 'pack', '--pack-destination', dest], { cwd: dir });
    const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
    const file = readdirSync(dest).find((f) => f.startsWith(name.replace('@', '').replace('/', '-') + '-'));
    tarballs[name] = join(dest, file);
    const manifest = execFileSync('tar', ['-xOzf', tarballs[name], 'package/package.json'], { encoding: 'utf8' });
    const listing = execFileSync('tar', ['-tzf', tarballs[name]], { encoding: 'utf8' });
    check(!manifest.includes('workspace:'), `${name}: no workspace: range in the packed package.json`);
    check(!manifest.includes('@jobslot/e2e'), `${name}: no private workspace package (@jobslot/e2e) in the packed package.json (.pnpmfile.cjs)`);
    check(listing.includes('package/LICENSE'), `${name}: LICENSE in the tarball`);
    if (p !== 'core') {
      // npm's own pack would ship `workspace:*`: the prepack refuses, saying to use pnpm.
      const npmPack = run('npm', ['pack', '--dry-run'], { cwd: dir, allowFail: true });
      check(npmPack.status !== 0 && npmPack.output.includes('pack and publish with pnpm'), `${name}: npm pack refuses, naming pnpm`);
    }
    const lint = run('node', [join(ROOT, 'node_modules/publint/src/cli.js'), '--strict', tarballs[name]], { cwd: dir, allowFail: true });
    check(lint.status === 0, `${name}: publint --strict${lint.status === 0 ? '' : `\n${lint.output}`}`);
    // The types as TypeScript resolves them (node10, node16 from CJS and ESM, bundler). The
    // vite plugin is ESM only, as vite is: from CommonJS it is a dynamic import, by design.
    const profile = p === 'vite-plugin' ? ['--profile', 'esm-only'] : [];
    const attw = run('node', [join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js'), ...profile, tarballs[name]], { cwd: dir, allowFail: true });
    check(attw.status === 0, `${name}: arethetypeswrong${profile.length ? ' (ESM only)' : ''}${attw.status === 0 ? '' : `\n${attw.output}`}`);
  }
}

// ---------------------------------------------------------------- projects
const peer = (plugin, tool) => JSON.parse(readFileSync(join(ROOT, 'packages', plugin, 'package.json'), 'utf8')).peerDependencies[tool];

/** The oldest and the newest published version of `tool` that `range` allows. */
function ends(tool, range) {
  const versions = JSON.parse(run('npm', ['view', tool, 'versions', '--json']).output).filter((v) => !semver.prerelease(v));
  return [semver.minSatisfying(versions, range), semver.maxSatisfying(versions, range)];
}

function write(dir, files) {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** Some real code: modules that import each other, enough for minifiers and chunking to work on. */
function sources(dir, ext = 'js', count = 12) {
  const files = {};
  for (let i = 0; i < count; i++) {
    const next = i + 1 < count ? `import { f${i + 1} } from './m${i + 1}.${ext === 'tsx' ? 'ts' : ext}';\n` : '';
    // Each function calls the next once: the bundles would run in linear time, were they run.
    const body = [`  out.push(${next ? `f${i + 1}(n)` : 'n'});`, ...Array.from({ length: 40 }, (_, k) => `  out.push(n * ${k} + '${'x'.repeat(20)}${i}-${k}'.length);`)].join('\n');
    files[`src/m${i}.${ext === 'tsx' ? 'ts' : ext}`] = `${next}export function f${i}(n${ext === 'js' ? '' : ': number'}) {\n  const out${ext === 'js' ? '' : ': number[]'} = [];\n${body}\n  return out.reduce((a, b) => a + b, 0);\n}\n`;
  }
  write(dir, files);
}

const PLUGIN = { esbuild: 'esbuild-plugin', webpack: 'webpack-plugin', vite: 'vite-plugin' };

/** What a plugin's README tells a user to run: its npm and pnpm install lines and its first `+` recipe. */
function readme(kind) {
  const text = readFileSync(join(ROOT, 'packages', PLUGIN[kind], 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  const lines = (lang) => blocks.filter((b) => b[1] === lang).flatMap((b) => b[2].split('\n'));
  const words = (line, prefix) => {
    if (!line) throw new Error(`packages/${PLUGIN[kind]}/README.md has no \`${prefix}\` line`);
    return line.slice(prefix.length).trim().split(/\s+/).map((w) => w.replace(/'([^']*)'/g, '$1')); // as sh unquotes 'x'
  };
  const npm = 'npm install --save-dev ';
  const pnpm = 'pnpm add -D ';
  const recipe = lines('make').find((l) => l.startsWith('\t+'));
  if (!recipe) throw new Error(`packages/${PLUGIN[kind]}/README.md has no \`+\` recipe in a make block`);
  return {
    get npm() {
      return words(lines('sh').find((l) => l.startsWith(npm)), npm);
    },
    get pnpm() {
      return words(lines('sh').find((l) => l.startsWith(pnpm)), pnpm);
    },
    recipe,
  };
}

/** The README's words with the tarballs for our packages and `tool@version` for the tool. */
function specs(words, tool, version, extra = []) {
  const given = words.filter((w) => !w.startsWith('-')).map((w) => tarballs[w] ?? (w === tool ? `${tool}@${version}` : w));
  return [...given, ...extra];
}

function npmInstall(dir, kind, version, extra = [], adjust = (s) => s) {
  const words = readme(kind).npm;
  step(`   npm install --save-dev ${words.join(' ')} (${kind}@${version}${extra.length ? `, with ${extra.join(' ')}` : ''})`);
  run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--loglevel=error', ...specs(words, kind, version, extra).map(adjust)], { cwd: dir });
}

/** The README's pnpm line. The packages are not on the registry yet: overrides point pnpm at the tarballs. */
function pnpmInstall(dir, kind, version, extra = []) {
  const words = readme(kind).pnpm;
  step(`   pnpm add -D ${words.join(' ')} (${kind}@${version}${extra.length ? `, with ${extra.join(' ')}` : ''})`);
  const overrides = Object.entries(tarballs).map(([name, file]) => `  '${name}': 'file:${file}'`).join('\n');
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), `overrides:\n${overrides}\n`);
  const flags = words.filter((w) => w.startsWith('-'));
  run(PNPM[0], [...PNPM.slice(1), 'add', '-D', ...specs(words, kind, version, extra), ...flags], { cwd: dir });
}

function esbuildProject(dir, version) {
  write(dir, {
    'package.json': JSON.stringify({ name: 'esbuild-app', private: true, type: 'module' }, null, 2),
    // The README's usage: four builds at once, in slots, Go threads sized to the slots.
    'build.mjs': `import { build } from '@jobslot/esbuild-plugin';
await Promise.all(['a', 'b', 'c', 'd'].map((entry) =>
  build({ entryPoints: ['src/' + entry + '.js'], bundle: true, minify: true, outdir: 'dist' })));
`,
    'src/a.js': "import { f0 } from './m0.js';\nconsole.log('a', f0(1));\n",
    'src/b.js': "import { f3 } from './m3.js';\nconsole.log('b', f3(2));\n",
    'src/c.js': "import { f6 } from './m6.js';\nconsole.log('c', f6(3));\n",
    'src/d.js': "import { f9 } from './m9.js';\nconsole.log('d', f9(4));\n",
    Makefile: `all:\n${readme('esbuild').recipe}\n`,
  });
  sources(dir);
  npmInstall(dir, 'esbuild', version);
  return ['dist/a.js', 'dist/b.js', 'dist/c.js', 'dist/d.js'];
}

function webpackProject(dir, version) {
  const entries = ['a', 'b', 'c'];
  write(dir, {
    'package.json': JSON.stringify({ name: 'webpack-app', private: true }, null, 2),
    // The README's usage (CommonJS config), as an array: a MultiCompiler runs
    // its compilers at once, each run in a slot.
    'webpack.config.js': `const { JobslotPlugin } = require('@jobslot/webpack-plugin');
module.exports = ${JSON.stringify(entries)}.map((name) => ({
  name,
  mode: 'production',
  entry: './src/' + name + '.js',
  output: { path: __dirname + '/dist', filename: name + '.js' },
  plugins: [new JobslotPlugin()],
}));
`,
    'src/a.js': "import { f0 } from './m0.js';\nconsole.log('a', f0(1));\n",
    'src/b.js': "import { f4 } from './m4.js';\nconsole.log('b', f4(2));\n",
    'src/c.js': "import { f8 } from './m8.js';\nconsole.log('c', f8(3));\n",
    Makefile: `all:\n${readme('webpack').recipe}\n`,
  });
  sources(dir);
  // webpack-cli 6 and later want a recent webpack; 5 covers all of webpack 5.
  const cli = semver.gte(version, '5.101.0') ? 'webpack-cli' : 'webpack-cli@5';
  npmInstall(dir, 'webpack', version, [], (s) => (s === 'webpack-cli' ? cli : s));
  return entries.map((e) => `dist/${e}.js`);
}

/** `npm create vite` (react-ts), trimmed: the same files and config shape. */
function viteProject(dir, version, withPnpm) {
  const major = semver.major(version);
  write(dir, {
    'package.json': JSON.stringify({ name: 'vite-app', private: true, type: 'module' }, null, 2),
    'index.html': '<!doctype html>\n<html><head><title>app</title></head><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>\n',
    'src/main.tsx': "import { StrictMode } from 'react';\nimport { createRoot } from 'react-dom/client';\nimport App from './App.tsx';\nimport './index.css';\ncreateRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);\n",
    'src/App.tsx': "import { useState } from 'react';\nimport { f0 } from './m0.ts';\nexport default function App() {\n  const [n, setN] = useState(0);\n  return <button onClick={() => setN(n + 1)}>count {n} {f0(n)}</button>;\n}\n",
    'src/index.css': ':root { font-family: system-ui; }\nbutton { padding: 0.6em 1.2em; }\n',
    'vite.config.ts': "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nimport { jobslot } from '@jobslot/vite-plugin';\n\nexport default defineConfig({\n  plugins: [react(), jobslot()],\n});\n",
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', jsx: 'react-jsx', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: ['vite/client'] }, include: ['src'] }, null, 2),
    Makefile: `web:\n${readme('vite').recipe}\n`,
  });
  sources(dir, 'tsx');
  // @vitejs/plugin-react 6 is for vite 8; 4.7 covers vite 4.2 to 7.
  const react = major >= 8 ? '@vitejs/plugin-react' : '@vitejs/plugin-react@4.7.0';
  const extra = [react, 'react@19', 'react-dom@19', '@types/react@19', '@types/react-dom@19', 'typescript@5.9.3', '@types/node@20'];
  (withPnpm ? pnpmInstall : npmInstall)(dir, 'vite', version, extra);
  return ['dist/index.html'];
}

// make 4.4.1 (fifo jobserver) where scripts/build-make44.sh built it, as CI does before this.
const MAKE44 = [process.env.JOBSLOT_MAKE44, join(ROOT, '.tools/make-4.4.1/bin/make')].find((m) => m && existsSync(m));

/** Runs the project's Makefile under `make -j2` and checks every token came back. */
function buildUnderMake(label, dir, outputs, make = 'make') {
  const tracePath = join(dir, 'jobslot-trace.jsonl');
  rmSync(tracePath, { force: true });
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  label = `${label}, ${make === 'make' ? 'make' : 'make 4.4.1'}`;
  const { status, output } = run(make, ['-j2'], { cwd: dir, allowFail: true, env: { ...cleanEnv, JOBSLOT_TRACE: tracePath } });
  if (!check(status === 0, `${label}: make -j2 builds`)) console.log(output.split('\n').slice(-30).join('\n'));
  check(!output.includes('INTERNAL:'), `${label}: make reports no lost token (no INTERNAL: line)`);
  check(!/jobslot: .*running without the jobserver/.test(output), `${label}: no jobslot warning`);
  for (const o of outputs) check(existsSync(join(dir, o)), `${label}: ${o} built`);
  const events = existsSync(tracePath) ? readFileSync(tracePath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const acquired = events.filter((e) => e.ev === 'acquire').length;
  check(acquired > 0, `${label}: the plugin took tokens from make's jobserver (${acquired} acquired)`);
  const report = run(join(dir, 'node_modules/.bin/jobslot'), ['report', '--jobs', '2', tracePath], { cwd: dir, allowFail: true });
  check(report.status === 0 && /tokens returned +all/.test(report.output) && /peak slots +[12] of -j2\b/.test(report.output), `${label}: jobslot report: every token back, at most 2 slots\n${report.output.replace(/^/gm, '        ')}`);
}

/** The README's recipe without make: the plugin changes nothing and says nothing. */
function buildWithoutMake(label, dir, outputs, recipe) {
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  const { status, output } = run('sh', ['-c', recipe.replace(/^\t\+/, '')], { cwd: dir, allowFail: true });
  if (!check(status === 0, `${label}, no make: builds`)) console.log(output.split('\n').slice(-30).join('\n'));
  check(!/^jobslot: /m.test(output), `${label}, no make: no jobslot warning`);
  for (const o of outputs) check(existsSync(join(dir, o)), `${label}, no make: ${o} built`);
}

/** tsc as a strict user runs it: --strict, node16 resolution, skipLibCheck off (so the plugin's own .d.ts is checked). */
function strictTsc(dir, file) {
  return run('node', [join(dir, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--skipLibCheck', 'false', '--types', 'node', file], { cwd: dir, allowFail: true });
}

/**
 * The vite plugin is ESM only (as vite is): strict TypeScript with node16
 * resolution and skipLibCheck off compiles an ES module that imports it, and
 * a CommonJS one fails at its own import line (TS1479), not inside our types.
 */
function typesCheck(label, dir) {
  writeFileSync(join(dir, 'check.mts'), "import { jobslot } from '@jobslot/vite-plugin';\nexport const plugin = jobslot({ exclude: 'vite:css' });\n");
  writeFileSync(join(dir, 'check.cts'), "import { jobslot } from '@jobslot/vite-plugin';\nexport const plugin = jobslot();\n");
  const esm = strictTsc(dir, 'check.mts');
  check(esm.status === 0, `${label}: tsc (node16, skipLibCheck false) on an ES module importing the plugin${esm.status ? `\n${esm.output}` : ''}`);
  const cjs = strictTsc(dir, 'check.cts');
  const errors = cjs.output.split('\n').filter((l) => /error TS/.test(l));
  check(errors.length > 0 && errors.every((l) => l.startsWith('check.cts(') && l.includes('TS1479')), `${label}: from CommonJS, TS1479 at the import line, nothing inside the plugin's types\n${cjs.output}`);
}

function project(kind, version, withPnpm = false) {
  const dir = join(work, `${kind}-${version}${withPnpm ? '-pnpm' : ''}`);
  mkdirSync(dir);
  step(`${kind} ${version}: a fresh project in ${dir}, installed with ${withPnpm ? 'pnpm' : 'npm'}`);
  const outputs = kind === 'esbuild' ? esbuildProject(dir, version) : kind === 'webpack' ? webpackProject(dir, version) : viteProject(dir, version, withPnpm);
  return { dir, outputs };
}

// ---------------------------------------------------------------- rollup 4 and rolldown 1 (issue 14)
// @jobslot/vite-plugin/rollup in rollup.config.mjs / rolldown.config.mjs, in projects without vite:
// rollup and rolldown are optional peers of @jobslot/vite-plugin, tested here at both ends of their
// ranges, with the install line and recipe from the plugin's README section on them.
const BUNDLERS = {
  rollup: {
    config: 'rollup.config.mjs',
    text: "import terser from '@rollup/plugin-terser';\nimport { jobslot } from '@jobslot/vite-plugin/rollup';\n\nexport default {\n  input: { a: 'src/a.js', b: 'src/b.js', c: 'src/c.js' },\n  plugins: [jobslot()],\n  output: { dir: 'dist', plugins: [terser()] },\n};\n",
    // the README's example, typed: rollup's defineConfig takes the plugin in plugins and output.plugins
    typed: "import { defineConfig } from 'rollup';\nimport { jobslot } from '@jobslot/vite-plugin/rollup';\nexport default defineConfig({ input: 'src/a.js', plugins: [jobslot({ exclude: 'x' })], output: { dir: 'dist', plugins: [jobslot()] } });\n",
  },
  rolldown: {
    config: 'rolldown.config.mjs',
    // rolldown minifies natively: a plugin of the user's own gives jobslot JS hooks to govern.
    text: "import { jobslot } from '@jobslot/vite-plugin/rollup';\n\nconst banner = { name: 'banner', transform: (code, id) => `/* ${id.split('/').pop()} */\\n${code}` };\n\nexport default {\n  input: { a: 'src/a.js', b: 'src/b.js', c: 'src/c.js' },\n  plugins: [jobslot(), banner],\n  output: { dir: 'dist', minify: true },\n};\n",
    typed: "import { defineConfig } from 'rolldown';\nimport { jobslot } from '@jobslot/vite-plugin/rollup';\nexport default defineConfig({ input: 'src/a.js', plugins: [jobslot({ exclude: 'x' })], output: { dir: 'dist', plugins: [jobslot()] } });\n",
  },
};

/** The README section's npm line and recipe for `kind` (the lines that name it). */
function bundlerReadme(kind) {
  const text = readFileSync(join(ROOT, 'packages/vite-plugin/README.md'), 'utf8');
  const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  const lines = (lang) => blocks.filter((b) => b[1] === lang).flatMap((b) => b[2].split('\n'));
  const npm = lines('sh').find((l) => l.startsWith('npm install --save-dev ') && l.split(/\s+/).includes(kind));
  const recipe = lines('make').find((l) => l.startsWith('\t+') && l.includes(`/${kind} -c`));
  if (!npm || !recipe) throw new Error(`packages/vite-plugin/README.md has no npm line or \`+\` recipe for ${kind}`);
  return { words: npm.slice('npm install --save-dev '.length).trim().split(/\s+/), recipe };
}

function checkBundler(kind) {
  const range = peer('vite-plugin', kind);
  const [oldest, newest] = ends(kind, range);
  step(`${kind}: optional peer range ${range}: oldest ${oldest}, newest ${newest}`);
  const { words, recipe } = bundlerReadme(kind);
  for (const version of [newest, oldest]) {
    const dir = join(work, `${kind}-${version}`);
    mkdirSync(dir);
    step(`${kind} ${version}: a fresh project in ${dir}, installed with npm`);
    const entries = { 'src/a.js': "import { f0 } from './m0.js';\nconsole.log('a', f0(1));\n", 'src/b.js': "import { f4 } from './m4.js';\nconsole.log('b', f4(2));\n", 'src/c.js': "import { f8 } from './m8.js';\nconsole.log('c', f8(3));\n" };
    write(dir, {
      'package.json': JSON.stringify({ name: `${kind}-app`, private: true, type: 'module' }, null, 2),
      [BUNDLERS[kind].config]: BUNDLERS[kind].text,
      'check.mts': BUNDLERS[kind].typed,
      ...entries,
      Makefile: `all:\n${recipe}\n`,
    });
    sources(dir);
    step(`   npm install --save-dev ${words.join(' ')} (${kind}@${version})`);
    run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--loglevel=error', ...specs(words, kind, version, ['typescript@5.9.3', '@types/node@20'])], { cwd: dir });
    check(!existsSync(join(dir, 'node_modules/vite')), `${kind} ${version}: vite is not installed (an optional peer)`);
    const outputs = ['dist/a.js', 'dist/b.js', 'dist/c.js'];
    buildUnderMake(`${kind} ${version} (npm)`, dir, outputs);
    if (version === newest) {
      if (MAKE44) buildUnderMake(`${kind} ${version} (npm)`, dir, outputs, MAKE44);
      else check(!process.env.JOBSLOT_REQUIRE_MAKE44, 'make 4.4.1 is built (scripts/build-make44.sh)');
      buildWithoutMake(`${kind} ${version} (npm)`, dir, outputs, recipe);
    }
    // Strict TypeScript, node16 resolution, skipLibCheck off: the plugin in the tool's own defineConfig.
    const tsc = strictTsc(dir, 'check.mts');
    check(tsc.status === 0, `${kind} ${version}: tsc (node16, skipLibCheck false) on a config using the plugin, without vite's types${tsc.status ? `\n${tsc.output}` : ''}`);
  }
}
// ---------------------------------------------------------------- end rollup 4 and rolldown 1

// ---------------------------------------------------------------- rspack
// @jobslot/webpack-plugin's optional @rspack/core peer: the oldest and newest
// rspack 2 its range allows, installed as the README's rspack section says,
// built with its recipe (`jobslot run -- rspack build`, the plugin in the config).

/** The README's rspack install line and recipe (the webpack-plugin README's rspack section). */
function rspackReadme() {
  const text = readFileSync(join(ROOT, 'packages/webpack-plugin/README.md'), 'utf8');
  const npm = 'npm install --save-dev ';
  const install = text.split('\n').find((l) => l.startsWith(npm) && l.includes('@rspack/core'));
  const recipe = text.split('\n').find((l) => l.startsWith('\t+') && l.includes('rspack build'));
  if (!install || !recipe) throw new Error('packages/webpack-plugin/README.md has no rspack install line or `+` rspack recipe');
  return { npm: install.slice(npm.length).trim().split(/\s+/), recipe };
}

function rspackProject(version) {
  const dir = join(work, `rspack-${version}`);
  mkdirSync(dir);
  step(`rspack ${version}: a fresh project in ${dir}, installed with npm`);
  const entries = ['a', 'b', 'c'];
  const { npm, recipe } = rspackReadme();
  write(dir, {
    'package.json': JSON.stringify({ name: 'rspack-app', private: true }, null, 2),
    // An array config: its compilers run in slots, as webpack's do.
    'rspack.config.mjs': `import { JobslotPlugin } from '@jobslot/webpack-plugin';
const jobslot = new JobslotPlugin();
export default ${JSON.stringify(entries)}.map((name) => ({
  name,
  mode: 'production',
  entry: './src/' + name + '.js',
  output: { path: import.meta.dirname + '/dist', filename: name + '.js' },
  plugins: [jobslot],
}));
`,
    'src/a.js': "import { f0 } from './m0.js';\nconsole.log('a', f0(1));\n",
    'src/b.js': "import { f4 } from './m4.js';\nconsole.log('b', f4(2));\n",
    'src/c.js': "import { f8 } from './m8.js';\nconsole.log('c', f8(3));\n",
    Makefile: `all:\n${recipe}\n`,
  });
  sources(dir);
  // @rspack/cli is not published with every @rspack/core release: the newest one not newer than the core.
  const [, cli] = ends('@rspack/cli', `>=2.0.0 <=${version}`);
  const pinned = { '@rspack/core': version, '@rspack/cli': cli };
  const words = npm.map((w) => tarballs[w] ?? (pinned[w] ? `${w}@${pinned[w]}` : w));
  step(`   npm install --save-dev ${npm.join(' ')} (@rspack/core@${version}, @rspack/cli@${cli})`);
  run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--loglevel=error', ...words, 'typescript@5.9.3', '@types/node@20'], { cwd: dir });
  check(!existsSync(join(dir, 'node_modules/webpack')), `rspack ${version}: webpack is not installed (an optional peer)`);
  // The plugin's types in rspack's own Configuration, without webpack's types to resolve.
  writeFileSync(join(dir, 'check.mts'), "import type { Configuration } from '@rspack/core';\nimport { JobslotPlugin } from '@jobslot/webpack-plugin';\nexport const config: Configuration = { plugins: [new JobslotPlugin({ threadLoader: true })] };\n");
  const tsc = strictTsc(dir, 'check.mts');
  check(tsc.status === 0, `rspack ${version}: tsc (node16, skipLibCheck false) on an rspack config using the plugin, without webpack installed${tsc.status ? `\n${tsc.output}` : ''}`);
  return { dir, outputs: entries.map((e) => `dist/${e}.js`), recipe };
}

function checkRspack() {
  const range = peer('webpack-plugin', '@rspack/core');
  const [oldest, newest] = ends('@rspack/core', range);
  step(`rspack: optional peer range ${range}: oldest ${oldest}, newest ${newest}`);
  for (const version of [newest, oldest]) {
    const { dir, outputs, recipe } = rspackProject(version);
    buildUnderMake(`rspack ${version} (npm)`, dir, outputs);
    if (version === newest) {
      if (MAKE44) buildUnderMake(`rspack ${version} (npm)`, dir, outputs, MAKE44);
      buildWithoutMake(`rspack ${version} (npm)`, dir, outputs, recipe);
    }
  }
}

// ---------------------------------------------------------------- test runners (issue 14)
// vitest through the vite plugin, jest through @jobslot/jest: the README's
// install line and recipe, a fresh project of three CPU-bound test files.
const RUNNER = { vitest: 'vite-plugin', jest: 'jest' };

/** The README's npm line and `+` recipe that name `tool` (the vite plugin's README names vite first). */
function runnerReadme(tool) {
  const text = readFileSync(join(ROOT, 'packages', RUNNER[tool], 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  const lines = (lang) => blocks.filter((b) => b[1] === lang).flatMap((b) => b[2].split('\n'));
  const npm = lines('sh').find((l) => l.startsWith('npm install --save-dev ') && l.split(/\s+/).includes(tool));
  const recipe = lines('make').find((l) => l.startsWith('\t+') && l.includes(`.bin/${tool}`));
  if (!npm || !recipe) throw new Error(`packages/${RUNNER[tool]}/README.md has no npm line or \`+\` recipe for ${tool}`);
  return { npm: npm.slice('npm install --save-dev '.length).trim().split(/\s+/), recipe };
}

function runnerProject(tool, version) {
  const dir = join(work, `${tool}-${version}`);
  mkdirSync(dir);
  step(`${tool} ${version}: a fresh project in ${dir}, installed with npm`);
  const { npm, recipe } = runnerReadme(tool);
  // maxWorkers 3: on a 2-core CI machine the tool would start one worker, and take no token.
  const files = {
    Makefile: `check:\n${recipe}\n`,
    ...(tool === 'vitest'
      ? {
          'package.json': JSON.stringify({ name: 'vitest-app', private: true, type: 'module' }, null, 2),
          'vitest.config.mjs': "import { defineConfig } from 'vitest/config';\nimport { jobslot } from '@jobslot/vite-plugin';\n\nexport default defineConfig({\n  plugins: [jobslot()],\n  test: { maxWorkers: 3 },\n});\n",
        }
      : {
          'package.json': JSON.stringify({ name: 'jest-app', private: true }, null, 2),
          'jest.config.js': "const { withJobslot } = require('@jobslot/jest');\n\nmodule.exports = withJobslot({\n  testEnvironment: 'node',\n  maxWorkers: 3,\n});\n",
        }),
  };
  for (let i = 0; i < 3; i++) {
    const head = tool === 'vitest' ? "import { expect, test } from 'vitest';\n" : '';
    files[`test/t${i}.test.js`] = `${head}function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\ntest('fib ${i}', () => {\n  const until = Date.now() + 500;\n  while (Date.now() < until) fib(20);\n  expect(fib(${10 + i})).toBe(${[55, 89, 144][i]});\n});\n`;
  }
  write(dir, files);
  // vitest 4.0 runs on the vite of its time, 7.1: npm would give the plugin's peer vite 8, and with
  // vite 7.3 vitest 4.0.0 fails every test file ("Unknown method: getBuiltins"), plugin or not.
  const extra = tool === 'vitest' && semver.lt(version, '4.1.0') ? ['vite@7.1'] : [];
  step(`   npm install --save-dev ${npm.join(' ')} (${tool}@${version}${extra.length ? `, with ${extra.join(' ')}` : ''})`);
  run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--loglevel=error', ...specs(npm, tool, version, extra)], { cwd: dir });
  return { dir, recipe };
}

/** The recipe under make -j2 (tokens taken, all back) and without make (no warning); the same tests pass. */
function testUnderMake(label, dir, recipe, make = 'make') {
  const tracePath = join(dir, 'jobslot-trace.jsonl');
  rmSync(tracePath, { force: true });
  const mlabel = `${label}, ${make === 'make' ? 'make' : 'make 4.4.1'}`;
  const { status, output } = run(make, ['-j2'], { cwd: dir, allowFail: true, env: { ...cleanEnv, JOBSLOT_TRACE: tracePath } });
  if (!check(status === 0, `${mlabel}: make -j2 check passes`)) console.log(output.split('\n').slice(-30).join('\n'));
  check(/Tests:? +3 passed/.test(output.replace(/\x1b\[[0-9;]*m/g, '')), `${mlabel}: 3 tests passed`);
  check(!output.includes('INTERNAL:'), `${mlabel}: make reports no lost token (no INTERNAL: line)`);
  check(!/^jobslot: /m.test(output), `${mlabel}: no jobslot warning`);
  const events = existsSync(tracePath) ? readFileSync(tracePath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const acquired = events.filter((e) => e.ev === 'acquire').length;
  check(acquired > 0, `${mlabel}: tokens taken from make's jobserver for workers (${acquired} acquired)`);
  const report = run(join(dir, 'node_modules/.bin/jobslot'), ['report', '--jobs', '2', tracePath], { cwd: dir, allowFail: true });
  check(report.status === 0 && /tokens returned +all/.test(report.output) && /peak slots +[12] of -j2\b/.test(report.output), `${mlabel}: jobslot report: every token back, at most 2 slots\n${report.output.replace(/^/gm, '        ')}`);
  if (make !== 'make') return;
  const alone = run('sh', ['-c', recipe.replace(/^\t\+/, '')], { cwd: dir, allowFail: true });
  check(alone.status === 0 && /Tests:? +3 passed/.test(alone.output.replace(/\x1b\[[0-9;]*m/g, '')), `${label}, no make: 3 tests passed`);
  check(!/^jobslot: /m.test(alone.output), `${label}, no make: no jobslot warning`);
}

function testRunners() {
  for (const tool of only ? [only] : ['vitest', 'jest']) {
    const range = peer(RUNNER[tool], tool);
    const [oldest, newest] = ends(tool, range);
    step(`${tool}: peer range ${range}: oldest ${oldest}, newest ${newest}`);
    for (const version of [newest, oldest]) {
      const { dir, recipe } = runnerProject(tool, version);
      testUnderMake(`${tool} ${version} (npm)`, dir, recipe);
      if (version === newest && MAKE44) testUnderMake(`${tool} ${version} (npm)`, dir, recipe, MAKE44);
    }
  }
}
// ---------------------------------------------------------------- end of test runners (issue 14)

// ---------------------------------------------------------------- main
try {
  pack();
  const kinds = only ? [only].filter((k) => k in PLUGIN || k === 'rspack') : ['esbuild', 'webpack', 'vite', 'rspack'];
  for (const kind of kinds) {
    if (kind === 'rspack') {
      checkRspack();
      continue;
    }
    const range = peer(PLUGIN[kind], kind);
    const [oldest, newest] = ends(kind, range);
    step(`${kind}: peer range ${range}: oldest ${oldest}, newest ${newest}`);
    for (const version of [newest, oldest]) {
      const { dir, outputs } = project(kind, version);
      buildUnderMake(`${kind} ${version} (npm)`, dir, outputs);
      if (version === newest) {
        if (MAKE44) buildUnderMake(`${kind} ${version} (npm)`, dir, outputs, MAKE44);
        else check(!process.env.JOBSLOT_REQUIRE_MAKE44, 'make 4.4.1 is built (scripts/build-make44.sh)');
        buildWithoutMake(`${kind} ${version} (npm)`, dir, outputs, readme(kind).recipe);
      }
      if (kind === 'vite') typesCheck(`${kind} ${version}`, dir);
    }
    if (kind === 'vite') {
      const { dir, outputs } = project(kind, newest, true);
      buildUnderMake(`${kind} ${newest} (pnpm)`, dir, outputs);
    }
  }
  for (const kind of only ? [only].filter((k) => k in BUNDLERS) : Object.keys(BUNDLERS)) checkBundler(kind);
  if (!only || RUNNER[only]) testRunners();
} catch (error) {
  failures.push(error.message);
  console.log(`FAIL ${error.stack}`);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
step(failures.length ? `${failures.length} check(s) failed:\n  - ${failures.join('\n  - ')}` : 'every check passed');
process.exit(failures.length ? 1 : 0);
