// test/support's run() at its time-out: the whole tree goes, not make alone.
// Before, it killed make and left a recipe's children running, holding the
// output pipes (so the run never ended) and the jobserver's descriptors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, makeBins, run, tempDir } from './support/index.js';
import { writeFileSync } from 'node:fs';

const { available } = makeBins();

/** Whether `pid` is alive (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe.each(available)('run() at its time-out (make $version)', (make) => {
  it('kills every process make started, a stray that left the tree included', async () => {
    const dir = tempDir('jobslot-run-timeout-');
    const pids = join(dir, 'pids');
    // One job sleeps in the recipe's tree; one double-forks a sleeper that is reparented away from it.
    writeFileSync(
      join(dir, 'Makefile'),
      [
        'all: a b',
        `a:\n\tsleep 300 & echo $$! >> ${pids}; wait`,
        `b:\n\tsh -c 'sleep 300 & echo $$! >> ${pids}' ; sleep 300`,
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const result = await run(make.bin, ['-j2'], { cwd: dir, env: cleanEnv(), timeoutMs: 1500 });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(pids)).toBe(true);
    const strays = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    expect(strays).toHaveLength(2);
    expect(strays.filter(alive)).toEqual([]);
  }, 60_000);
});
