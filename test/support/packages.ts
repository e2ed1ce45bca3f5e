// Our packages as a project installs them, for tests that import them by name.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './make.js';

/**
 * Links each of `names` (folders of packages/: 'core', 'vite-plugin', ...)
 * into `dir`/node_modules/@jobslot, as an install puts them there: imported
 * as `@jobslot/<name>`, resolved through their package.json "exports".
 */
export function linkPackages(dir: string, names: readonly string[]): void {
  mkdirSync(join(dir, 'node_modules/@jobslot'), { recursive: true });
  for (const name of names) symlinkSync(join(ROOT, 'packages', name), join(dir, 'node_modules/@jobslot', name));
}
