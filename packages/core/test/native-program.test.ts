// nativeWork (cli/native-program.ts): which node wrappers `jobslot run`
// replaces by the native program they run (`program`); which node tools it
// runs in its own process whatever its V8 pool (`anyV8Pool`). Packages laid out on disk as npm
// and pnpm lay TypeScript 7 out (the wrapper's package, the platform's package
// beside it in node_modules); end to end with the real TypeScript 7 in
// test/tsc.test.ts.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeWork } from '../src/cli/native-program.js';
import type { NodeEntry } from '../src/cli/node-command.js';

/** The program `jobslot run` runs in the script's place (undefined: the script itself). */
const nativeProgram = (entry: NodeEntry) => nativeWork(entry).program;
/** Whether `jobslot run` runs the script in its process whatever its V8 pool. */
const worksNatively = (script: string) => nativeWork({ script, args: [] }).anyV8Pool;

const dir = mkdtempSync(join(tmpdir(), 'jobslot-native-program-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(path: string, text: string, mode = 0o644): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** A package in `modules` (a node_modules): its package.json, and its files. */
function pkg(modules: string, name: string, manifest: object, files: Record<string, string>): string {
  const at = join(modules, name);
  file(join(at, 'package.json'), JSON.stringify({ name, ...manifest }));
  for (const [path, text] of Object.entries(files)) file(join(at, path), text, path.startsWith('bin/') || path.startsWith('lib/ts') ? 0o755 : 0o644);
  return at;
}

const WRAPPER = { 'bin/tsc': '#!/usr/bin/env node\nimport "../lib/tsc.js";\n', 'lib/tsc.js': '// runs getExePath()\n', 'lib/getExePath.js': 'export default function getExePath() {}\n' };
const platform = `${process.platform}-${process.arch}`;

describe('nativeProgram', () => {
  it("TypeScript 7's tsc: the platform package's binary, with the same arguments", () => {
    const modules = join(dir, 'a/node_modules');
    const ts = pkg(modules, 'typescript', { version: '7.0.2', bin: { tsc: './bin/tsc' } }, WRAPPER);
    const exe = file(join(pkg(modules, `@typescript/typescript-${platform}`, { version: '7.0.2' }, {}), 'lib/tsc'), '\x7fELF', 0o755);
    expect(nativeProgram({ script: join(ts, 'bin/tsc'), args: ['-b', '--verbose'] })).toEqual([exe, '-b', '--verbose']);
  });

  it('through a link to the bin, as npm links node_modules/.bin/tsc', () => {
    const modules = join(dir, 'b/node_modules');
    const ts = pkg(modules, 'typescript', { version: '7.0.2', bin: { tsc: './bin/tsc' } }, WRAPPER);
    const exe = file(join(pkg(modules, `@typescript/typescript-${platform}`, {}, {}), 'lib/tsc'), '\x7fELF', 0o755);
    mkdirSync(join(modules, '.bin'));
    symlinkSync('../typescript/bin/tsc', join(modules, '.bin/tsc'));
    expect(nativeProgram({ script: join(modules, '.bin/tsc'), args: [] })).toEqual([exe]);
  });

  it("@typescript/native-preview's tsgo", () => {
    const modules = join(dir, 'c/node_modules');
    const files = { 'bin/tsgo': WRAPPER['bin/tsc'], 'lib/getExePath.js': WRAPPER['lib/getExePath.js'] };
    const ts = pkg(modules, '@typescript/native-preview', { bin: { tsgo: './bin/tsgo' } }, files);
    const exe = file(join(pkg(modules, `@typescript/native-preview-${platform}`, {}, {}), 'lib/tsgo'), '\x7fELF', 0o755);
    expect(nativeProgram({ script: join(ts, 'bin/tsgo'), args: ['-p', '.'] })).toEqual([exe, '-p', '.']);
  });

  it('runs the command as it is where the platform package or its binary is missing', () => {
    const modules = join(dir, 'd/node_modules');
    const ts = pkg(modules, 'typescript', { version: '7.0.2', bin: { tsc: './bin/tsc' } }, WRAPPER);
    expect(nativeProgram({ script: join(ts, 'bin/tsc'), args: [] })).toBeUndefined();
    pkg(modules, `@typescript/typescript-${platform}`, {}, { 'lib/README': '' });
    expect(nativeProgram({ script: join(ts, 'bin/tsc'), args: [] })).toBeUndefined();
  });

  it('leaves TypeScript 5 and 6 (tsc and tsserver, JavaScript), other bins and other packages alone', () => {
    const modules = join(dir, 'e/node_modules');
    const ts5 = pkg(modules, 'typescript', { version: '5.9.3', bin: { tsc: './bin/tsc', tsserver: './bin/tsserver' } }, { 'bin/tsc': "#!/usr/bin/env node\nrequire('../lib/tsc.js')\n", 'lib/tsc.js': '' });
    file(join(pkg(modules, `@typescript/typescript-${platform}`, {}, {}), 'lib/tsc'), '\x7fELF', 0o755);
    expect(nativeProgram({ script: join(ts5, 'bin/tsc'), args: [] })).toBeUndefined();
    // The wrapper's shape, but not TypeScript's name, or not its bin, or no getExePath.js.
    const other = pkg(join(dir, 'f/node_modules'), 'typescript-fork', { bin: { tsc: './bin/tsc' } }, WRAPPER);
    expect(nativeProgram({ script: join(other, 'bin/tsc'), args: [] })).toBeUndefined();
    const noGetExe = pkg(join(dir, 'g/node_modules'), 'typescript', { bin: { tsc: './bin/tsc' } }, { 'bin/tsc': WRAPPER['bin/tsc'] });
    file(join(pkg(join(dir, 'g/node_modules'), `@typescript/typescript-${platform}`, {}, {}), 'lib/tsc'), '\x7fELF', 0o755);
    expect(nativeProgram({ script: join(noGetExe, 'bin/tsc'), args: [] })).toBeUndefined();
    expect(nativeProgram({ script: join(noGetExe, 'lib/tsc.js'), args: [] })).toBeUndefined();
    expect(nativeProgram({ script: join(dir, 'nowhere/bin/tsc'), args: [] })).toBeUndefined();
  });
});

describe('worksNatively', () => {
  const modules = join(dir, 'w/node_modules');
  const rspack = pkg(modules, '@rspack/cli', { bin: { rspack: './bin/rspack.js' } }, { 'bin/rspack.js': '#!/usr/bin/env node\n' });
  const rolldown = pkg(modules, 'rolldown', { bin: { rolldown: './bin/cli.mjs' } }, { 'bin/cli.mjs': '#!/usr/bin/env node\n' });
  // rollup's bin is dist/bin/rollup, with dist/es/package.json ({ "type": "module" }) beside it: its package is rollup.
  const rollup = pkg(modules, 'rollup', { bin: { rollup: 'dist/bin/rollup' } }, { 'dist/bin/rollup': '#!/usr/bin/env node\n', 'dist/bin/package.json': '{ "type": "commonjs" }' });
  const vite = pkg(modules, 'vite', { bin: { vite: 'bin/vite.js' } }, { 'bin/vite.js': '#!/usr/bin/env node\n' });

  it("rspack's and rolldown's CLIs, also through a link in node_modules/.bin", () => {
    expect(worksNatively(join(rspack, 'bin/rspack.js'))).toBe(true);
    expect(worksNatively(join(rolldown, 'bin/cli.mjs'))).toBe(true);
    mkdirSync(join(modules, '.bin'));
    symlinkSync('../rolldown/bin/cli.mjs', join(modules, '.bin/rolldown'));
    expect(worksNatively(join(modules, '.bin/rolldown'))).toBe(true);
  });

  it('not vite (its plugins are JavaScript), rollup, a script of no package, or one that is not there', () => {
    expect(worksNatively(join(vite, 'bin/vite.js'))).toBe(false);
    expect(worksNatively(join(rollup, 'dist/bin/rollup'))).toBe(false);
    expect(worksNatively(file(join(dir, 'loose/build.mjs'), ''))).toBe(false);
    expect(worksNatively(join(dir, 'nowhere/rolldown/bin/cli.mjs'))).toBe(false);
  });

  it('a package within another package (node_modules inside it) is its own', () => {
    const nested = pkg(join(rolldown, 'node_modules'), 'helper', {}, { 'bin/x.js': '' });
    expect(worksNatively(join(nested, 'bin/x.js'))).toBe(false);
  });
});
