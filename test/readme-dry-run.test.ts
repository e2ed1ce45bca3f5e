// The READMEs' advice for `make -n`: GNU make runs `+` recipes even under -n,
// so the recipe's `+` lives in a variable that a dry run empties. Checked with
// the Makefile lines as the core README prints them, under each make here.
import { readdirSync as readdir, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ROOT, cleanEnv, makeBins, tempDir } from './support/index.js';

const readme = readFileSync(join(ROOT, 'packages/core/README.md'), 'utf8');
const block = [...readme.matchAll(/```make\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('JOBSERVER := +'));

describe.each(makeBins().available)('make $version: the README\'s dry-run advice', (make) => {
  it('make -n runs a + recipe (why the README warns), make -n JOBSERVER= only prints it', () => {
    expect(block, 'a make block with `JOBSERVER := +` in packages/core/README.md').toBeDefined();
    const dir = tempDir();
    // The README's recipe, with a build that leaves a mark.
    writeFileSync(join(dir, 'build.mjs'), "import { writeFileSync } from 'node:fs';\nwriteFileSync('built', '');\n");
    writeFileSync(join(dir, 'Makefile'), block!.replace('$(SRC)', ''));
    const plain = spawnSync(make.bin, ['-n', '-j2'], { cwd: dir, env: cleanEnv(), encoding: 'utf8' });
    expect(plain.status, plain.stderr).toBe(0);
    expect(readdir(dir)).toContain('built');

    const dry = tempDir();
    writeFileSync(join(dry, 'build.mjs'), "import { writeFileSync } from 'node:fs';\nwriteFileSync('built', '');\n");
    writeFileSync(join(dry, 'Makefile'), block!.replace('$(SRC)', ''));
    const r = spawnSync(make.bin, ['-n', '-j2', 'JOBSERVER='], { cwd: dry, env: cleanEnv(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('node build.mjs');
    expect(readdir(dry)).not.toContain('built');
  });
});
