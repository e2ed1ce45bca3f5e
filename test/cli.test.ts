// The `jobslot` command's own plumbing: --version, what it says on a wrong
// command line or a file that is not a trace, and a relative JOBSLOT_TRACE.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, cleanEnv, run, tempDir } from './support/index.js';

const jobslot = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  run(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? cleanEnv(), timeoutMs: 60_000 });

describe('jobslot command line', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8'));
    const r = await jobslot(['--version']);
    expect(r.stdout.trim()).toBe(version);
    expect(r.code).toBe(0);
  });

  it.each([
    [['reprot', 't.jsonl'], /^jobslot: unknown command 'reprot' \(did you mean 'jobslot report'\?\); to run a command under a new jobserver: jobslot -j N -- reprot t\.jsonl \(see `jobslot --help`\)$/],
    [[], /^jobslot: missing a command: jobslot -j N -- CMD, jobslot run -- CMD or jobslot report TRACE \(see `jobslot --help`\)$/],
    [['-j', '2'], /^jobslot: -j 2 needs the command to run: jobslot -j 2 -- CMD \.\.\. \(see `jobslot --help`\)$/],
  ])('%j: one line saying what is wrong, not the whole help, and exit 1', async (args, message) => {
    const r = await jobslot(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(message);
  });

  it.each([['env'], ['status'], ['run'], ['report']])(
    '`jobslot -j 2 -- %s ...` runs that program, not our subcommand of the same name',
    async (word) => {
      const dir = tempDir('cli-dashes-');
      // A program of that name first on PATH: it says it ran, with its arguments and the jobserver.
      writeFileSync(join(dir, word), '#!/bin/sh\necho "ran $0 $* MAKEFLAGS=$MAKEFLAGS"\n', { mode: 0o755 });
      const env = { ...cleanEnv(), PATH: `${dir}:${process.env.PATH}` };
      const r = await jobslot(['-j', '2', '--', word, 'X=1', 'true'], { env });
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^ran .*/${word} X=1 true MAKEFLAGS=.*-j2 --jobserver-auth=`));
      expect(r.code).toBe(0);
    },
  );

  it.each([
    [['-j', '2', '--', 'true']],
    [['run', '--', 'true']],
  ])('%j without koffi (npm i --omit=optional): one line that says the fix, no stack trace', async (args) => {
    const r = await run(process.execPath, ['--require', join(ROOT, 'test/fixtures/core/no-koffi.cjs'), CLI, ...args], { env: cleanEnv(), timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/koffi.*is not installed.*reinstall @jobslot\/core with its optional dependencies/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('report on a missing file says so in one line and exits non-zero (no stack trace)', async () => {
    const dir = tempDir();
    const r = await jobslot(['report', join(dir, 'nope.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`jobslot report: cannot read ${join(dir, 'nope.jsonl')}: no such file`);
  });

  it('report on a file that is not a trace says so and exits non-zero (not "tokens returned all")', async () => {
    const r = await jobslot(['report', join(ROOT, 'package.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/tokens returned/);
    expect(r.stderr.trim()).toMatch(/package\.json is not a jobslot trace/);
  });
});

describe('a relative JOBSLOT_TRACE', () => {
  const TAKE = join(ROOT, 'test/fixtures/core/take-one.mjs');

  it('under `jobslot -j`: recipes that cd into other directories all write the one trace', async () => {
    const dir = tempDir();
    for (const sub of ['a', 'b']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'Makefile'), `all: a b\n.PHONY: all a b\na b:\n\t+cd $@ && node ${TAKE}\n`);
    const r = await jobslot(['-j', '3', '--', 'make', '-j3'], { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: 't.jsonl' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\/a: took a token/);
    expect(r.stdout).toMatch(/\/b: took a token/);
    expect(existsSync(join(dir, 'a/t.jsonl')) || existsSync(join(dir, 'b/t.jsonl')), 'a trace split into the recipes\' directories').toBe(false);
    const events = readFileSync(join(dir, 't.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.ev === 'acquire')).toHaveLength(2);
  });

  it('under plain make: a client resolves it once, so its children in other directories write there too', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'Makefile'), `all:\n\t+node ${TAKE} spawn sub\n`);
    const r = await run('make', ['-j2'], { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: 't.jsonl' }) });
    expect(r.code, r.stderr).toBe(0);
    // (node closes make 4.3's pipe for its children: the child traces a warning, not a token)
    expect(r.stdout).toMatch(/\/sub: /);
    expect(existsSync(join(dir, 'sub/t.jsonl')), 'the child wrote a trace of its own').toBe(false);
    const events = readFileSync(join(dir, 't.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(events.map((e) => e.pid)).size, 'processes in the trace').toBe(2);
  });
});
