// A vitest suite as an installed project has it: for the vitest tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './make.js';
import { linkPackages } from './packages.js';

/** The vitest the tests run beneath make (test/'s own install). */
export const VITEST = join(ROOT, 'test/node_modules/.bin/vitest');

/** A suite directory: the plugin linked into node_modules (imported by its name, as an installed one is), `files` (path -> text) written. */
export function vitestSuite(files: Record<string, string>, dir = tempDir('jobslot-vitest-projects-')): string {
  linkPackages(dir, ['vite-plugin']);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
