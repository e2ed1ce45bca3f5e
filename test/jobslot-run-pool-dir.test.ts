// Where `jobslot run` puts its sub-pool (the fifo, in a private jobslot-*
// directory): in TMPDIR when the user set one, else on a tmpfs where there is
// one (XDG_RUNTIME_DIR, else Linux's /dev/shm), since removing a directory from a disk can cost milliseconds at
// every exit (2-3 ms here: ext4 mounted with `discard`). Still private (0700)
// and removed when the command ends (the other jobslot-run tests run make
// beneath it). Before, it was in the temporary directory (/tmp, on disk here).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, run, runMake, sh, tempDir, which } from './support/index.js';

const { available } = makeBins();
const strace = process.platform === 'linux' ? which('strace') : undefined;
const shm = process.platform === 'linux' && existsSync('/dev/shm');

describe.each(available)('make $version -j2', (make) => {
  // The command prints its fifo's path, the file system it is on and its directory's mode.
  const SHOW = 'f=${MAKEFLAGS##*fifo:}; echo "$f $(stat -f -c %T "$f") $(stat -c %a "${f%/fifo}")"\n';
  const makefile = `all:\n\t+@node ${sh(CLI)} run --style fifo -- sh show.sh\n`;

  /** Runs the command in `dir` under make with `env`: its fifo's path, file system and directory mode, once make has ended with every token back. */
  async function showPool(dir: string, env: Record<string, string | undefined>): Promise<string[]> {
    writeFileSync(join(dir, 'show.sh'), SHOW);
    const r = await runMake({ make, dir, jobs: 2, makefile, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.leakLine).toBeUndefined();
    return r.stdout.trim().split(' ');
  }

  it.skipIf(!shm)('without XDG_RUNTIME_DIR: in /dev/shm, private, removed at the end', async () => {
    const [fifo, fs, mode] = await showPool(tempDir('jobslot-pool-dir-'), { XDG_RUNTIME_DIR: undefined, TMPDIR: undefined });
    expect(fifo).toMatch(/^\/dev\/shm\/jobslot-[^/]+\/fifo$/);
    expect(fs).toBe('tmpfs');
    expect(mode).toBe('700');
    expect(existsSync(fifo!)).toBe(false);
  });

  // The variable named, set to a private directory of the user's (0700), the other unset.
  it.each([
    ["in XDG_RUNTIME_DIR when it is the user's own (0700)", 'XDG_RUNTIME_DIR'],
    ['in TMPDIR when the user set one', 'TMPDIR'],
  ] as const)('%s', async (_title, variable) => {
    const dir = tempDir('jobslot-pool-dir-');
    const chosen = join(dir, 'chosen');
    mkdirSync(chosen, { mode: 0o700 });
    const [fifo] = await showPool(dir, { XDG_RUNTIME_DIR: undefined, TMPDIR: undefined, [variable]: chosen });
    expect(fifo).toMatch(new RegExp(`^${chosen}/jobslot-[^/]+/fifo$`));
    // Only the pool's own directory goes at the end, never the one the user named.
    expect(statSync(chosen).isDirectory()).toBe(true);
  });

  // The directory holds the fifo and, where /proc shows who waits, the
  // refusals file (posix/refusals.ts): both go before the rmdir, which then
  // succeeds at once. Before, the refusals file was left in it: the rmdir
  // failed (ENOTEMPTY) and node's recursive rmSync walked it again, at every
  // exit. Watched with strace, independently of jobslot.
  it.skipIf(!strace)('its directory goes with one rmdir that succeeds (the refusals file removed first)', async () => {
    const dir = tempDir('jobslot-pool-dir-');
    const log = join(dir, 'strace.log');
    writeFileSync(join(dir, 'Makefile'), `all:\n\t+@node ${sh(CLI)} run -- sh -c 'sleep 0.3'\n`);
    const r = await run(strace!, ['-f', '-qq', '-e', 'trace=rmdir', '-o', log, make.bin, '-j2'], { cwd: dir, env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/INTERNAL: Exiting with/);
    const rmdirs = readFileSync(log, 'utf8').split('\n').filter((line) => /rmdir\(.*jobslot-/.test(line));
    expect(rmdirs, rmdirs.join('\n')).toHaveLength(1);
    expect(rmdirs[0]).toMatch(/= 0$/);
    expect(existsSync(/rmdir\("([^"]+)"/.exec(rmdirs[0]!)![1]!)).toBe(false);
  });
});
