// The warning for the most common make mistake says the fix first: a recipe
// without '+' under make 4.3 (a pipe jobserver), whose fds never reach node.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, cleanEnv, makeBins, run, tempDir } from './support/index.js';

const TAKE = join(ROOT, 'test/fixtures/core/take-one.mjs');
const pipeMake = makeBins().available.find((m) => m.style === 'pipe');

describe.skipIf(!pipeMake)('the warning for a recipe the jobserver did not reach', () => {
  it.each([
    ['a recipe without +', `\tnode ${TAKE}`],
    ['a recipe through npx', `\t+npx --yes --offline node ${TAKE}`],
  ])('%s: says to mark it with + and run node directly, with the detail after', async (_name, recipe) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'Makefile'), `all:\n${recipe}\n`);
    const r = await run(pipeMake!.bin, ['-j2'], { cwd: dir, env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    const warning = r.stderr.split('\n').find((l) => l.startsWith('jobslot: '));
    expect(warning).toMatch(
      /^jobslot: make's jobserver did not reach this process: mark the recipe with '\+' and run node directly, not through npm run or npx \(or use make 4\.4's fifo style, --jobserver-style=fifo\)\. Detail: the jobserver's (read|write) fd \d+ is .*; running without the jobserver$/,
    );
  });
});
