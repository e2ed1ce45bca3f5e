// Where `jobslot run` puts its sub-pool (the fifo, in a private jobslot-*
// directory): in TMPDIR when the user set one, else on a tmpfs where there is
// one (XDG_RUNTIME_DIR, else Linux's /dev/shm), since removing a directory from a disk can cost milliseconds at
// every exit (2-3 ms here: ext4 mounted with `discard`). Still private (0700)
// and removed when the command ends (the other jobslot-run tests run make
// beneath it). Before, it was in the temporary directory (/tmp, on disk here).
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, runMake, sh, tempDir } from './support/index.js';

const { available } = makeBins();
const shm = process.platform === 'linux' && existsSync('/dev/shm');

describe.each(available)('make $version -j2', (make) => {
  // The command prints its fifo's path, the file system it is on and its directory's mode.
  const SHOW = 'f=${MAKEFLAGS##*fifo:}; echo "$f $(stat -f -c %T "$f") $(stat -c %a "${f%/fifo}")"\n';
  const makefile = `all:\n\t+@node ${sh(CLI)} run --style fifo -- sh show.sh\n`;

  it.skipIf(!shm)('without XDG_RUNTIME_DIR: in /dev/shm, private, removed at the end', async () => {
    const dir = tempDir('jobslot-pool-dir-');
    writeFileSync(join(dir, 'show.sh'), SHOW);
    const r = await runMake({ make, dir, jobs: 2, makefile, env: { XDG_RUNTIME_DIR: undefined, TMPDIR: undefined } });
    expect(r.code, r.stderr).toBe(0);
    const [fifo, fs, mode] = r.stdout.trim().split(' ');
    expect(fifo).toMatch(/^\/dev\/shm\/jobslot-[^/]+\/fifo$/);
    expect(fs).toBe('tmpfs');
    expect(mode).toBe('700');
    expect(existsSync(fifo!)).toBe(false);
    expect(r.leakLine).toBeUndefined();
  });

  it('in XDG_RUNTIME_DIR when it is the user\'s own (0700)', async () => {
    const dir = tempDir('jobslot-pool-dir-');
    const runtime = join(dir, 'runtime');
    mkdirSync(runtime, { mode: 0o700 });
    writeFileSync(join(dir, 'show.sh'), SHOW);
    const r = await runMake({ make, dir, jobs: 2, makefile, env: { XDG_RUNTIME_DIR: runtime, TMPDIR: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split(' ')[0]).toMatch(new RegExp(`^${runtime}/jobslot-[^/]+/fifo$`));
    expect(statSync(runtime).isDirectory()).toBe(true);
  });

  it('in TMPDIR when the user set one', async () => {
    const dir = tempDir('jobslot-pool-dir-');
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { mode: 0o700 });
    writeFileSync(join(dir, 'show.sh'), SHOW);
    const r = await runMake({ make, dir, jobs: 2, makefile, env: { XDG_RUNTIME_DIR: undefined, TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split(' ')[0]).toMatch(new RegExp(`^${tmp}/jobslot-[^/]+/fifo$`));
  });
});
