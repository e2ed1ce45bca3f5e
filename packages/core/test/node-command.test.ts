// How much of a node script `jobslot run` looks through for a synchronous
// wait before it runs the script in its own process (node-command.ts): the
// first 512 KB, wherever the first 8 KB (read for the shebang) end. Real files
// with this node's path in their shebang; end to end in
// test/jobslot-run-in-process.test.ts.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeEntry } from '../src/cli/node-command.js';

const dir = mkdtempSync(join(tmpdir(), 'jobslot-node-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHEBANG = `#!${process.execPath}\n`;
const WAIT = "require('node:child_process').execFileSync('true');\n";

/** A script of `size` bytes with this node's shebang; with `at`, a synchronous wait starts at that byte. */
function script(name: string, size: number, at?: number): string {
  const path = join(dir, name);
  const filler = (bytes: number) => '/'.repeat(Math.max(0, bytes));
  const text = at === undefined ? SHEBANG + filler(size - SHEBANG.length) : SHEBANG + filler(at - SHEBANG.length) + WAIT + filler(size - at - WAIT.length);
  writeFileSync(path, text, 'latin1');
  return path;
}

const env = { PATH: process.env.PATH };

describe('nodeEntry looks through a script for a synchronous wait', () => {
  it('runs a script with no wait here, its arguments after it', () => {
    const path = script('plain.js', 100);
    expect(nodeEntry([path, 'a', 'b'], env, dir)).toEqual({ script: path, args: ['a', 'b'], argv0: process.execPath });
  });

  it('sees a wait in the first 8 KB, across their end, and after them', () => {
    for (const [name, at] of [
      ['early.js', 200],
      ['across.js', 8192 - WAIT.indexOf('execFileSync') - 5], // the 8 KB end inside `execFileSync`
      ['after.js', 10_000],
      ['last.js', 512 * 1024 - WAIT.length - 1],
    ] as const) {
      const path = script(name, 600 * 1024, at);
      expect(nodeEntry([path], env, dir), name).toEqual({ why: `${path} waits for its program synchronously` });
    }
  });

  it('sees a wait that ends a script of exactly 8 KB', () => {
    const path = script('head-only.js', 8192, 8192 - WAIT.length);
    expect(nodeEntry([path], env, dir)).toEqual({ why: `${path} waits for its program synchronously` });
  });

  it('does not look past 512 KB', () => {
    const path = script('late.js', 600 * 1024, 520 * 1024);
    expect(nodeEntry([path], env, dir)).toEqual({ script: path, args: [], argv0: process.execPath });
  });

  it('through a link (npm .bin): the link is the script, the file it reaches is the one named', () => {
    const target = script('linked.js', 20_000, 9000);
    const link = join(dir, 'tool');
    symlinkSync(target, link);
    expect(nodeEntry([link], env, dir)).toEqual({ why: `${target} waits for its program synchronously` });
  });

  it('`node SCRIPT`: the same window', () => {
    const waits = script('run-by-node-waits.js', 600 * 1024, 10_000);
    const late = script('run-by-node-late.js', 600 * 1024, 520 * 1024);
    expect(nodeEntry([process.execPath, waits, '-x'], env, dir)).toEqual({ why: `${waits} waits for its program synchronously` });
    expect(nodeEntry([process.execPath, late, '-x'], env, dir)).toEqual({ script: late, args: ['-x'], argv0: process.execPath });
  });
});
