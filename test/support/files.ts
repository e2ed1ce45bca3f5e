// What a build wrote, for comparing a run under jobslot with the tool alone.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file under `dir` (that `keep` accepts, by its path relative to `dir`): relative path -> contents. */
export function fileTree(dir: string, keep: (path: string) => boolean = () => true): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (keep(relative(dir, path))) out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out;
}
