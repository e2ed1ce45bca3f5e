// Parsing GNU make's MAKEFLAGS. A leaf: no I/O, usable by anyone.
//
// Shapes seen in the wild:
//   " -j4 --jobserver-auth=3,4"           make 4.2/4.3, pipe
//   "-j4 --jobserver-auth=fifo:/tmp/GMfifo123"  make 4.4+, fifo (the POSIX default)
//   "-j --jobserver-fds=3,4"              make 3.8x/4.0/4.1
//   "-j4 --jobserver-auth=gmake_semaphore_1234"  make on Windows
//   "n -j4 --jobserver-auth=..."          dry run (`make -n`): the first word holds single-letter flags
//   "--jobserver-auth=-2,-2"              make -j1 in a sub-make or a recipe without `+`
//   "-j4 --jobserver-auth=3,4 -- X=a\ b"  command-line variables after ` -- `: not flags

export type JobserverAuth =
  | { kind: 'pipe'; read: number; write: number }
  | { kind: 'fifo'; path: string }
  | { kind: 'sem'; name: string };

export interface Makeflags {
  /** The jobserver named by the last `--jobserver-auth=` (or `--jobserver-fds=`), if usable. */
  auth: JobserverAuth | undefined;
  /** The raw auth value, when one was given (even if unusable). */
  rawAuth: string | undefined;
  /**
   * Why `auth` is undefined although a value was given: 'negative-fd',
   * 'cannot-parse', or 'unsafe-path' (a fifo path that is relative or holds
   * control characters).
   */
  authError: 'negative-fd' | 'cannot-parse' | 'unsafe-path' | undefined;
  /** The -jN hint: N, or undefined (no -j, or a bare -j for unlimited). */
  jobs: number | undefined;
  /** `-j` without a number: unlimited jobs. */
  unlimited: boolean;
  /** A -j word make would refuse (`-j0`, `-j99999999999999999999`, `-jfoo`): ignored. */
  badJobs?: string;
  /** `n` in the first word: make is running with --just-print. */
  dryRun: boolean;
  /** The single-letter flags of the first word (make puts them first, without a dash). */
  flags: string;
}

/**
 * Splits MAKEFLAGS into words as make's decode_env_switches does: words end at
 * blanks (space, tab; a newline is part of a word), and a backslash makes the
 * next character plain (make writes `\ ` for a space in a value).
 */
function splitWords(value: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && i + 1 < value.length) {
      current += value[++i];
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

const FD_PAIR = /^(-?\d+),(-?\d+)$/;
/** The largest -j make takes (an unsigned int). */
const MAX_JOBS = 2 ** 32 - 1;
const MAX_FD = 2 ** 31 - 1;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

function parseAuth(raw: string): { auth?: JobserverAuth; error?: Makeflags['authError'] } {
  if (raw.startsWith('fifo:')) {
    // make reads MAKEFLAGS through its own expansion: `$$` is one `$`, and a
    // lone `$` would be a variable reference we cannot see.
    if (/\$(?!\$)/.test(raw.replace(/\$\$/g, ''))) return { error: 'cannot-parse' };
    const path = raw.slice('fifo:'.length).replace(/\$\$/g, '$');
    if (!path) return { error: 'cannot-parse' };
    // Never a path relative to wherever this process happens to run, and
    // nothing a newline or escape could have smuggled in.
    if (!path.startsWith('/') || CONTROL.test(path)) return { error: 'unsafe-path' };
    return { auth: { kind: 'fifo', path } };
  }
  const pair = FD_PAIR.exec(raw);
  if (pair) {
    const read = Number(pair[1]);
    const write = Number(pair[2]);
    if (read < 0 || write < 0) return { error: 'negative-fd' };
    if (read > MAX_FD || write > MAX_FD) return { error: 'cannot-parse' };
    return { auth: { kind: 'pipe', read, write } };
  }
  // Windows semaphore names: make uses gmake_semaphore_<pid>; accept any plain name.
  if (/^[A-Za-z_][\w.-]*$/.test(raw)) return { auth: { kind: 'sem', name: raw } };
  return { error: 'cannot-parse' };
}

/** make's positive_int: all digits, 1 to 2^32-1. */
function jobCount(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= MAX_JOBS ? n : undefined;
}

/**
 * Parses one MAKEFLAGS (or MFLAGS, CARGO_MAKEFLAGS) value as make does: the
 * flags are the words before ` -- `; what follows are command-line variable
 * definitions, whose values make does not escape (a newline in one could
 * otherwise pose as a flag). Never throws.
 */
export function parseMakeflags(value: string): Makeflags {
  const all = splitWords(value);
  const end = all.indexOf('--');
  const words = end >= 0 ? all.slice(0, end) : all;
  let flags = '';
  let jobs: number | undefined;
  let unlimited = false;
  let badJobs: string | undefined;
  let rawAuth: string | undefined;
  let fallbackAuth: string | undefined;

  const setJobs = (text: string, word: string) => {
    const n = jobCount(text);
    if (n === undefined) {
      // make: "the '-j' option requires a positive integer argument"; keep the last good one.
      badJobs = word;
      return;
    }
    jobs = n;
    unlimited = false;
  };

  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    if (index === 0 && !word.startsWith('-') && !word.includes('=')) {
      flags = word;
      continue;
    }
    if (word.startsWith('--jobserver-auth=')) rawAuth = word.slice('--jobserver-auth='.length);
    else if (word.startsWith('--jobserver-fds=')) fallbackAuth = word.slice('--jobserver-fds='.length);
    else if (word === '-j' || word === '--jobs') {
      // getopt's optional argument: make takes a following all-digit word.
      const next = words[index + 1];
      if (next !== undefined && /^\d+$/.test(next)) {
        setJobs(next, `${word} ${next}`);
        index++;
      } else {
        jobs = undefined;
        unlimited = true;
      }
    } else if (word.startsWith('-j') && !word.startsWith('--')) setJobs(word.slice(2), word);
    else if (word.startsWith('--jobs=')) setJobs(word.slice('--jobs='.length), word);
  }

  const chosen = rawAuth ?? fallbackAuth;
  const parsed = chosen === undefined ? {} : parseAuth(chosen);
  return {
    auth: parsed.auth,
    rawAuth: chosen,
    authError: parsed.error,
    jobs,
    unlimited,
    badJobs,
    dryRun: flags.includes('n'),
    flags,
  };
}

/** The variables a jobserver may be named in, in the order they are consulted. */
export const MAKEFLAGS_VARIABLES = ['CARGO_MAKEFLAGS', 'MAKEFLAGS', 'MFLAGS'] as const;

/**
 * Finds the jobserver in an environment: the first of CARGO_MAKEFLAGS, MAKEFLAGS
 * and MFLAGS that names one (usable or not). Returns the variable it came from.
 */
export function makeflagsFromEnv(
  env: Record<string, string | undefined>,
): { variable: string; flags: Makeflags } | undefined {
  let firstWithFlags: { variable: string; flags: Makeflags } | undefined;
  for (const variable of MAKEFLAGS_VARIABLES) {
    const value = env[variable];
    if (!value) continue;
    const flags = parseMakeflags(value);
    if (flags.rawAuth !== undefined) return { variable, flags };
    firstWithFlags ??= { variable, flags };
  }
  return firstWithFlags;
}

/** A word as make writes it into MAKEFLAGS: blanks escaped with a backslash (make 4.4.1 does the same for a fifo path). */
export function escapeMakeflagsWord(word: string): string {
  return word.replace(/[ \t]/g, (c) => `\\${c}`);
}

/**
 * `base` (a MAKEFLAGS value, or nothing) with its -j and jobserver replaced by
 * `-j<jobs> --jobserver-auth=<auth>`; its other flags and the variables after
 * ` -- ` are kept as they are. `auth` must already be escaped.
 */
export function withJobserver(base: string | undefined, jobs: number, auth: string): string {
  const value = base ?? '';
  // The variables after ` -- ` are the user's, copied verbatim.
  const split = /(?:^|\s)--(?:\s|$)/.exec(value);
  const flagsPart = split ? value.slice(0, split.index) : value;
  const vars = split ? value.slice(split.index + split[0].length) : '';
  const words = (flagsPart.match(/(?:\\.|\S)+/g) ?? []).filter(
    (word) => !/^-j\d*$/.test(word) && !word.startsWith('--jobs=') && !/^--jobserver-(?:auth|fds)=/.test(word),
  );
  // make puts its single-letter flags first, without a dash; otherwise it starts with a blank.
  const lead = words[0] && !words[0].startsWith('-') ? `${words.shift()} ` : ' ';
  const rest = words.length ? ` ${words.join(' ')}` : '';
  return `${lead}-j${jobs} --jobserver-auth=${auth}${rest}${split ? ` -- ${vars}` : ''}`;
}
