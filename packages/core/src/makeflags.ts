// Parsing GNU make's MAKEFLAGS. A leaf: no I/O, usable by anyone.
//
// Shapes seen in the wild:
//   " -j4 --jobserver-auth=3,4"           make 4.2/4.3, pipe
//   "-j4 --jobserver-auth=fifo:/tmp/GMfifo123"  make 4.4+, fifo (the POSIX default)
//   "-j --jobserver-fds=3,4"              make 3.8x/4.0/4.1
//   "-j4 --jobserver-auth=gmake_semaphore_1234"  make on Windows
//   "n -j4 --jobserver-auth=..."          dry run (`make -n`): the first word holds single-letter flags
//   "--jobserver-auth=-2,-2"              make -j1 in a sub-make or a recipe without `+`

export type JobserverAuth =
  | { kind: 'pipe'; read: number; write: number }
  | { kind: 'fifo'; path: string }
  | { kind: 'sem'; name: string };

export interface Makeflags {
  /** The jobserver named by the last `--jobserver-auth=` (or `--jobserver-fds=`), if usable. */
  auth: JobserverAuth | undefined;
  /** The raw auth value, when one was given (even if unusable). */
  rawAuth: string | undefined;
  /** Why `auth` is undefined although a value was given: 'negative-fd' or 'cannot-parse'. */
  authError: 'negative-fd' | 'cannot-parse' | undefined;
  /** The -jN hint: N, or undefined (no -j, or a bare -j for unlimited). */
  jobs: number | undefined;
  /** `-j` without a number: unlimited jobs. */
  unlimited: boolean;
  /** `n` in the first word: make is running with --just-print. */
  dryRun: boolean;
  /** The single-letter flags of the first word (make puts them first, without a dash). */
  flags: string;
}

function splitWords(value: string): string[] {
  // make escapes spaces in values with a backslash; a fifo path may contain one.
  const words: string[] = [];
  let current = '';
  let escaped = false;
  for (const ch of value) {
    if (escaped) {
      current += ch;
      escaped = false;
    } else if (ch === '\\') {
      escaped = true;
    } else if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (current) words.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) words.push(current);
  return words;
}

const FD_PAIR = /^(-?\d+),(-?\d+)$/;

function parseAuth(raw: string): { auth?: JobserverAuth; error?: 'negative-fd' | 'cannot-parse' } {
  if (raw.startsWith('fifo:')) {
    const path = raw.slice('fifo:'.length);
    return path ? { auth: { kind: 'fifo', path } } : { error: 'cannot-parse' };
  }
  const pair = FD_PAIR.exec(raw);
  if (pair) {
    const read = Number(pair[1]);
    const write = Number(pair[2]);
    if (read < 0 || write < 0) return { error: 'negative-fd' };
    if (!Number.isSafeInteger(read) || !Number.isSafeInteger(write)) return { error: 'cannot-parse' };
    return { auth: { kind: 'pipe', read, write } };
  }
  // Windows semaphore names: make uses gmake_semaphore_<pid>; accept any plain name.
  if (/^[A-Za-z_][\w.-]*$/.test(raw)) return { auth: { kind: 'sem', name: raw } };
  return { error: 'cannot-parse' };
}

/** Parses one MAKEFLAGS (or MFLAGS, CARGO_MAKEFLAGS) value. Never throws. */
export function parseMakeflags(value: string): Makeflags {
  const words = splitWords(value);
  let flags = '';
  let jobs: number | undefined;
  let unlimited = false;
  let rawAuth: string | undefined;
  let fallbackAuth: string | undefined;

  words.forEach((word, index) => {
    if (index === 0 && !word.startsWith('-') && !word.includes('=')) {
      flags = word;
      return;
    }
    if (word.startsWith('--jobserver-auth=')) rawAuth = word.slice('--jobserver-auth='.length);
    else if (word.startsWith('--jobserver-fds=')) fallbackAuth = word.slice('--jobserver-fds='.length);
    else if (/^-j\d*$/.test(word)) {
      const n = word.slice(2);
      if (n) {
        jobs = Number(n);
        unlimited = false;
      } else {
        jobs = undefined;
        unlimited = true;
      }
    } else if (word.startsWith('--jobs=')) {
      const n = Number(word.slice('--jobs='.length));
      if (Number.isInteger(n) && n > 0) jobs = n;
    } else if (word === '--') {
      // variable assignments follow; nothing more of ours
    }
  });

  const chosen = rawAuth ?? fallbackAuth;
  const parsed = chosen === undefined ? {} : parseAuth(chosen);
  return {
    auth: parsed.auth,
    rawAuth: chosen,
    authError: parsed.error,
    jobs,
    unlimited,
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

/**
 * `value` with its jobserver auth replaced by `auth` (both --jobserver-auth=
 * and the older --jobserver-fds=). Used by `jobslot run` to hand a pipe
 * jobserver to grandchildren as `fifo:/proc/<pid>/fd/R`.
 */
export function replaceJobserverAuth(value: string, auth: string): string {
  return value.replace(/--jobserver-(?:auth|fds)=(?:\\.|\S)+/g, `--jobserver-auth=${auth}`);
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
