// `jobslot run`'s command line read without commander (cli/run-args.ts): each
// plain form does what commander made of it (--max and --style in either
// spelling and order, the command after `--` or after the first operand, the
// command's own options left to it), and everything else still reaches
// commander and gets its words (--help, a bad value, an unknown option, no
// command). Outside make, so the command's MAKEFLAGS shows --max and --style.
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, run } from './support/index.js';

const jobslot = (args: string[]) => run(process.execPath, [CLI, ...args], { env: cleanEnv(), timeoutMs: 60_000 });
// The command prints its own arguments and MAKEFLAGS.
const SHOW = ['sh', '-c', 'echo "args=$*|$MAKEFLAGS"', 'sh'];

describe('jobslot run: the plain forms, read without commander', () => {
  it.each([
    [['run', '--', ...SHOW], 'args=', /^ -j\d+ --jobserver-auth=3,4$/],
    [['run', '--max', '3', '--', ...SHOW, 'a'], 'args=a', /^ -j3 --jobserver-auth=3,4$/],
    [['run', '--max=3', '--style=fifo', ...SHOW, 'a'], 'args=a', /^ -j3 --jobserver-auth=fifo:\/\S+$/],
    [['run', '--style', 'fifo', '--max', '2', '--max', '4', '--', ...SHOW], 'args=', /^ -j4 --jobserver-auth=fifo:\/\S+$/],
    // After the first operand every word is the command's, its options too.
    [['run', '--max', '2', ...SHOW, '--max', '9', '--', '--help'], 'args=--max 9 -- --help', /^ -j2 --jobserver-auth=3,4$/],
  ])('%j', async (args, shown, makeflags) => {
    const r = await jobslot(args);
    expect(r.code, r.stderr).toBe(0);
    const [got, flags] = r.stdout.trim().split('|');
    expect(got).toBe(shown);
    expect(flags).toMatch(makeflags);
  });

  it('a command that cannot run: 127, one line', async () => {
    const r = await jobslot(['run', '--max', '2', '--', '/nonexistent/cmd']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/jobslot: cannot run \/nonexistent\/cmd/);
  });
});

describe('jobslot run: everything else, read by commander as before', () => {
  it.each([
    [['run'], 1, /error: missing required argument 'command'/],
    [['run', '--max', '0', '--', 'true'], 1, /option '--max <m>' argument '0' is invalid\. expected a whole number of at least 1/],
    [['run', '--max', '--', 'true'], 1, /option '--max <m>' argument '--' is invalid/],
    [['run', '--style', 'bogus', '--', 'true'], 1, /option '--style <style>' argument 'bogus' is invalid\. Allowed choices are auto, pipe, fifo/],
    [['run', '--frobnicate', '--', 'true'], 1, /error: unknown option '--frobnicate'/],
  ])('%j: commander\'s message, exit %i', async (args, code, message) => {
    const r = await jobslot(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it.each([[['run', '--help']], [['run', '--max', '2', '-h']]])('%j: the run help, exit 0', async (args) => {
    const r = await jobslot(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: jobslot run \[options\] <command\.\.\.>/);
  });
});
