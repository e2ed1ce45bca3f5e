// Proving make's pipe is the jobserver's (packages/core/src/posix/descriptors.ts)
// reads the descriptors of this process's ancestors until one holds the
// pipe. It goes on up the holders (a sub-make, the top make: the last is the
// pipe's owner) and stops at the first ancestor above them that does not
// hold it: the processes above make (a shell, a terminal, an editor with
// hundreds of descriptors, up to pid 1) are not read before the command
// starts. Watched with strace (which /proc/PID/fd folders the client opens),
// independently of jobslot. Before, the walk read every ancestor up to pid 1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, makeBins, ROOT, run, sh, tempDir, which } from './support/index.js';

const strace = process.platform === 'linux' ? which('strace') : undefined;
const PROBE = join(ROOT, 'test/fixtures/core/probe.mjs');
// Pipe style: make 4.3 as it is, make 4.4.1 when told (its default is a fifo, proven by path).
const makes = makeBins().available.map((make) => ({ ...make, flags: make.style === 'fifo' ? ['--jobserver-style=pipe'] : [] }));

/** The pids whose /proc/PID/fd folder `pid` opened (or tried to), in order, from an `strace -f -e trace=openat` log. */
function fdFoldersOpened(log: string, pid: number): number[] {
  return [...readFileSync(log, 'utf8').matchAll(new RegExp(`^${pid} +openat\\(AT_FDCWD, "/proc/(\\d+)/fd",`, 'gm'))].map((m) => Number(m[1]));
}

describe.skipIf(!strace).each(makes)('make $version -j2, pipe style', (make) => {
  it.each([
    ['the client right beneath make', false],
    ['the client beneath a sub-make', true],
  ])('%s: the walk reads the holders and the first ancestor above them, no further', async (_name, subMake) => {
    const dir = tempDir('jobslot-walk-');
    const log = join(dir, 'strace.log');
    const client = `+@echo $$$$ > client-sh.pid; exec node ${sh(PROBE)} > probe.json`;
    writeFileSync(join(dir, 'Makefile'), subMake ? `all:\n\t+@echo $$PPID > top.pid; $(MAKE) -f sub.mk\n` : `all:\n\t${client}\n`);
    writeFileSync(join(dir, 'sub.mk'), `all:\n\t${client}\n`);
    // Above make: P (make's parent, which does not hold the pipe) and G above it (each
    // runs its child as a command that is not its last, so neither is replaced by it).
    writeFileSync(join(dir, 'g.sh'), 'echo $$ > g.pid\nsh p.sh\nexit $?\n');
    writeFileSync(join(dir, 'p.sh'), `echo $$ > p.pid\n${[make.bin, ...make.flags, '-s', '-j2'].map(sh).join(' ')}\nexit $?\n`);
    const r = await run(strace!, ['-f', '-qq', '-e', 'trace=openat', '-o', log, 'sh', 'g.sh'], { cwd: dir, env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/INTERNAL/);
    const probe = JSON.parse(readFileSync(join(dir, 'probe.json'), 'utf8')) as { connected: boolean; style: string; took: boolean };
    expect(probe).toMatchObject({ connected: true, style: 'pipe', took: true });
    const pid = (name: string) => Number(readFileSync(join(dir, name), 'utf8'));
    // The client is the recipe's shell, exec'd into node: its pid is the one that wrote client-sh.pid.
    const read = fdFoldersOpened(log, pid('client-sh.pid'));
    expect(read).toContain(pid('p.pid'));
    if (subMake) expect(read).toContain(pid('top.pid'));
    expect(read).not.toContain(pid('g.pid'));
    expect(read.at(-1)).toBe(pid('p.pid'));
  });
});
