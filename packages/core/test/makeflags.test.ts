import { describe, expect, it } from 'vitest';
import { makeflagsFromEnv, parseMakeflags } from '../src/makeflags.js';
import { escapeMakeflagsWord, withJobserver } from '../src/makeflags.js';

describe('parseMakeflags', () => {
  it('make 4.3 pipe style', () => {
    const f = parseMakeflags(' -j4 --jobserver-auth=3,4');
    expect(f.auth).toEqual({ kind: 'pipe', read: 3, write: 4 });
    expect(f.jobs).toBe(4);
    expect(f.dryRun).toBe(false);
  });

  it('make 4.4 fifo style, with an escaped space in the path', () => {
    expect(parseMakeflags('-j8 --jobserver-auth=fifo:/tmp/GMfifo123').auth).toEqual({ kind: 'fifo', path: '/tmp/GMfifo123' });
    expect(parseMakeflags('-j8 --jobserver-auth=fifo:/tmp/my\\ dir/f').auth).toEqual({ kind: 'fifo', path: '/tmp/my dir/f' });
  });

  it('old makes: --jobserver-fds is the fallback, and a bare -j is unlimited', () => {
    const f = parseMakeflags('-j --jobserver-fds=5,6');
    expect(f.auth).toEqual({ kind: 'pipe', read: 5, write: 6 });
    expect(f.jobs).toBeUndefined();
    expect(f.unlimited).toBe(true);
  });

  it('the last --jobserver-auth wins over earlier ones and over --jobserver-fds', () => {
    const f = parseMakeflags('-j2 --jobserver-fds=1,2 --jobserver-auth=3,4 --jobserver-auth=fifo:/x');
    expect(f.auth).toEqual({ kind: 'fifo', path: '/x' });
  });

  it('-2,-2 and other negative fds mean no jobserver', () => {
    expect(parseMakeflags('-j4 --jobserver-auth=-2,-2')).toMatchObject({ auth: undefined, authError: 'negative-fd' });
    expect(parseMakeflags('--jobserver-auth=3,-1')).toMatchObject({ auth: undefined, authError: 'negative-fd' });
  });

  it('garbage cannot be parsed', () => {
    for (const bad of ['3;4', '3,', ',4', 'fifo:', '3,4,5', '!!']) {
      expect(parseMakeflags(`-j2 --jobserver-auth=${bad}`)).toMatchObject({ auth: undefined, authError: 'cannot-parse' });
    }
  });

  it('Windows semaphore names', () => {
    expect(parseMakeflags('-j4 --jobserver-auth=gmake_semaphore_1234').auth).toEqual({ kind: 'sem', name: 'gmake_semaphore_1234' });
  });

  it('`n` in the first word is a dry run; other flags are not', () => {
    expect(parseMakeflags('n -j4 --jobserver-auth=3,4').dryRun).toBe(true);
    expect(parseMakeflags('ks -j4 --jobserver-auth=3,4').dryRun).toBe(false);
    expect(parseMakeflags('-n').dryRun).toBe(false); // not the single-letter word
    expect(parseMakeflags('kn --jobserver-auth=3,4').flags).toBe('kn');
  });

  it('no jobserver at all', () => {
    expect(parseMakeflags('')).toMatchObject({ auth: undefined, rawAuth: undefined, jobs: undefined });
    expect(parseMakeflags(' -- FOO=bar')).toMatchObject({ auth: undefined, rawAuth: undefined });
  });
});

describe('parseMakeflags: as make reads MAKEFLAGS', () => {
  it('only the words before ` -- ` are flags: a newline in a variable value is no flag', () => {
    // make 'X=a<newline>--jobserver-auth=fifo:/tmp/evil' puts the value, unescaped, after ` -- `.
    const f = parseMakeflags(' -j4 --jobserver-auth=fifo:/tmp/GMfifo1 -- X=a\n--jobserver-auth=fifo:/tmp/evil');
    expect(f.auth).toEqual({ kind: 'fifo', path: '/tmp/GMfifo1' });
    expect(parseMakeflags(' -j4 -- X=1 --jobserver-auth=fifo:/tmp/evil -j9')).toMatchObject({ rawAuth: undefined, jobs: 4 });
    // Without any flag of its own, the auth is still only in a value.
    expect(parseMakeflags(' -- X=a\n--jobserver-auth=fifo:/tmp/evil').rawAuth).toBeUndefined();
  });

  it('a newline does not split words (make splits at spaces and tabs only)', () => {
    const f = parseMakeflags('-j4\n--jobserver-auth=fifo:/tmp/evil');
    expect(f.rawAuth).toBeUndefined();
    expect(f.jobs).toBeUndefined();
    expect(f.badJobs).toBe('-j4\n--jobserver-auth=fifo:/tmp/evil');
  });

  it("make's escapes: backslash-space and backslash-backslash in a path, tabs between words", () => {
    expect(parseMakeflags('-j2\t--jobserver-auth=fifo:/tmp/a\\\\b\\ c').auth).toEqual({ kind: 'fifo', path: '/tmp/a\\b c' });
    expect(parseMakeflags('-j2 --jobserver-auth=fifo:/tmp/a$$b').auth).toEqual({ kind: 'fifo', path: '/tmp/a$b' });
    expect(parseMakeflags('-j2 --jobserver-auth=fifo:/tmp/$(X)')).toMatchObject({ auth: undefined, authError: 'cannot-parse' });
  });

  it('relative fifo paths and control characters are refused', () => {
    for (const path of ['tmp/fifo', './fifo', '../x/fifo', '/tmp/a\x1b[2Jb', '/tmp/a\rb', '/tmp/a\x7f']) {
      expect(parseMakeflags(`-j2 --jobserver-auth=fifo:${path.replace(/ /g, '\\ ')}`)).toMatchObject({ auth: undefined, authError: 'unsafe-path' });
    }
  });

  it('-j0, absurd and non-numeric job counts are ignored, as make refuses them', () => {
    for (const bad of ['-j0', '-j99999999999999999999', '-j4294967296', '-j4x', '--jobs=0', '--jobs=-3']) {
      const f = parseMakeflags(`${bad} --jobserver-auth=3,4`);
      expect(f.jobs, bad).toBeUndefined();
      expect(f.badJobs).toBe(bad);
      expect(f.auth).toEqual({ kind: 'pipe', read: 3, write: 4 });
    }
    expect(parseMakeflags('-j4294967295').jobs).toBe(4294967295);
    expect(parseMakeflags('-j 6').jobs).toBe(6);
    expect(parseMakeflags('--jobs=7').jobs).toBe(7);
    expect(parseMakeflags('-j 6').unlimited).toBe(false);
  });

  it('fd numbers past an int are garbage', () => {
    expect(parseMakeflags('--jobserver-auth=3,99999999999')).toMatchObject({ auth: undefined, authError: 'cannot-parse' });
  });
});

describe('makeflagsFromEnv', () => {
  it('CARGO_MAKEFLAGS, then MAKEFLAGS, then MFLAGS', () => {
    const env = { CARGO_MAKEFLAGS: '-j2 --jobserver-auth=7,8', MAKEFLAGS: '-j4 --jobserver-auth=3,4', MFLAGS: '-j9' };
    expect(makeflagsFromEnv(env)).toMatchObject({ variable: 'CARGO_MAKEFLAGS', flags: { auth: { read: 7 } } });
    expect(makeflagsFromEnv({ ...env, CARGO_MAKEFLAGS: undefined })).toMatchObject({ variable: 'MAKEFLAGS' });
    expect(makeflagsFromEnv({ MFLAGS: '-j3 --jobserver-auth=3,4' })).toMatchObject({ variable: 'MFLAGS' });
  });

  it('a variable without a jobserver does not hide a later one that has it', () => {
    expect(makeflagsFromEnv({ CARGO_MAKEFLAGS: '-j2', MAKEFLAGS: '-j4 --jobserver-auth=3,4' })).toMatchObject({ variable: 'MAKEFLAGS' });
  });

  it('nothing at all', () => {
    expect(makeflagsFromEnv({})).toBeUndefined();
  });
});

describe('withJobserver', () => {
  it('replaces -j and the jobserver, keeps the other flags and the variables after --', () => {
    expect(withJobserver(' -j4 --jobserver-auth=3,4 -- X=1', 2, '5,6')).toBe(' -j2 --jobserver-auth=5,6 -- X=1');
    expect(withJobserver('k -j --jobserver-fds=3,4 --jobserver-auth=3,4', 3, '3,4')).toBe('k -j3 --jobserver-auth=3,4');
    expect(withJobserver(undefined, 4, '3,4')).toBe(' -j4 --jobserver-auth=3,4');
    expect(withJobserver(' -j4 --jobserver-auth=3,4 -- A=--jobserver-auth=x', 2, '3,4')).toBe(' -j2 --jobserver-auth=3,4 -- A=--jobserver-auth=x');
  });

  it('escapes blanks in a fifo path as make 4.4.1 does, and the parser reads it back', () => {
    const flags = withJobserver(undefined, 2, `fifo:${escapeMakeflagsWord('/tmp/a b/fifo')}`);
    expect(flags).toBe(' -j2 --jobserver-auth=fifo:/tmp/a\\ b/fifo');
    expect(parseMakeflags(flags).auth).toEqual({ kind: 'fifo', path: '/tmp/a b/fifo' });
  });
});
