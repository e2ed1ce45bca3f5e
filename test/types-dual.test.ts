// One declaration of core's API for CommonJS and ESM: a `.cts` config (which
// gets @jobslot/core's "require" types) and an `.mts` one (its "import" types)
// both pass core's shared limiter to the vite plugin, whose own types import
// core as ESM. Two declarations of JobClient made that TS2322 ("separate
// declarations of a private property") on TypeScript 5, TS2719 on 7.
// Checked with the TypeScript versions CI installs: the root's 5.9 and test/'s 7.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkPackages, ROOT, run, tempDir } from './support/index.js';

const COMPILERS = [
  { name: 'TypeScript 5.9', tsc: join(ROOT, 'node_modules/typescript/bin/tsc') },
  { name: 'TypeScript 7', tsc: join(ROOT, 'test/node_modules/typescript7/bin/tsc') },
].filter((c) => existsSync(c.tsc));

const CONFIG = `import { sharedLimiter } from '@jobslot/core';
import { jobslot } from '@jobslot/vite-plugin';
export const plugin = jobslot({ limiter: sharedLimiter() });
`;

function project(skipLibCheck: boolean): string {
  const dir = tempDir('jobslot-dual-types-');
  linkPackages(dir, ['core', 'vite-plugin']);
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'dual-types', private: true }));
  writeFileSync(join(dir, 'vite.config.cts'), CONFIG);
  writeFileSync(join(dir, 'vite.config.mts'), CONFIG);
  const compilerOptions = { module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck, noEmit: true, target: 'es2022', types: ['node'] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['vite.config.cts', 'vite.config.mts'] }));
  return dir;
}

describe.each(COMPILERS)('$name: core\'s limiter to the vite plugin', ({ tsc }) => {
  // skipLibCheck, as most projects set it (without it, vite's own types take a minute to check).
  it('from a .cts and an .mts config', async () => {
    const dir = project(true);
    const result = await run('node', [tsc, '-p', dir], { cwd: dir });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
