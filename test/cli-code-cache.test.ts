// The `jobslot` command compiles its own files through V8's code cache
// (cli/code-cache.ts): written once, at the first run's exit, into a directory
// of this user's that nobody else may write to; used, not rewritten, by the
// runs after; never used for a source other than the one it was made from (a
// changed file is compiled afresh and its cache rewritten); not written at
// all into a directory others may write to, nor with JOBSLOT_CODE_CACHE=0.
// The command's behaviour is the same every time (its output, make's tokens).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, runMake, sh, tempDir } from './support/index.js';

const { available } = makeBins();

describe.each(available)('make $version -j2', (make) => {
  const jobslotRun = async (cache: string, env: Record<string, string> = {}) => {
    const dir = tempDir('jobslot-code-cache-');
    const r = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${sh(CLI)} run -- sh -c 'echo "ran $$GOMAXPROCS"'\n`, env: { XDG_CACHE_HOME: cache, ...env } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ran 2');
    expect(r.leakLine).toBeUndefined();
  };
  const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const mtimes = (dir: string) => filesIn(dir).map((f) => `${f} ${statSync(join(dir, f)).mtimeMs}`);

  it('written at the first run, in a private directory; used, not rewritten, by the next', async () => {
    const cache = tempDir('xdg-');
    await jobslotRun(cache);
    const dir = join(cache, 'jobslot', `v8-${process.version}-${process.arch}`);
    const files = filesIn(dir);
    expect(files.some((f) => f.startsWith('cli-main.cjs-'))).toBe(true);
    expect(files.some((f) => f.startsWith('cli-posix-platform.cjs-'))).toBe(true);
    expect(files.every((f) => f.endsWith('.cache'))).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const before = mtimes(dir);
    await jobslotRun(cache);
    expect(mtimes(dir)).toEqual(before);
  });

  it('a cache made from another source is not used: that file is compiled afresh and its cache rewritten', async () => {
    const cache = tempDir('xdg-');
    await jobslotRun(cache);
    const dir = join(cache, 'jobslot', `v8-${process.version}-${process.arch}`);
    const main = join(dir, filesIn(dir).find((f) => f.startsWith('cli-main.cjs-'))!);
    const good = readFileSync(main);
    // Change one byte of the source it records (after the 8-byte header): V8 alone would not notice.
    const bad = Buffer.from(good);
    bad[20] = bad[20] === 0x20 ? 0x21 : 0x20;
    writeFileSync(main, bad);
    await jobslotRun(cache);
    // Rewritten: the source it records is the file's again (the V8 data may differ from run to run).
    const length = good.readUInt32LE(4);
    expect(readFileSync(main).subarray(0, 8 + length).equals(good.subarray(0, 8 + length))).toBe(true);
  });

  it.each([
    ['a directory others may write to', (dir: string) => chmodSync(dir, 0o777), {}],
    ['JOBSLOT_CODE_CACHE=0', () => {}, { JOBSLOT_CODE_CACHE: '0' }],
  ])('not written to %s', async (_, spoil, env) => {
    const cache = tempDir('xdg-');
    const dir = join(cache, 'jobslot');
    mkdirSync(dir, { mode: 0o700 });
    spoil(dir);
    await jobslotRun(cache, env);
    expect(filesIn(dir).flatMap((d) => filesIn(join(dir, d)))).toEqual([]);
  });
});
