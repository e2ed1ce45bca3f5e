// node's --v8-pool-size: how many helper threads V8 gets in a node process
// (garbage collection, compilation), fixed when node starts. jobslot reads it
// in three places: whether `jobslot run`'s own process has few enough helpers
// to run a node command in it (cli/in-process.ts), whether the user already
// chose a size in the NODE_OPTIONS it hands on (cli/command-env.ts), and
// whether the user chose one for vitest's forked workers (the vite plugin).
// All three read it as node does; this is where that is written down, with
// the size a node process holding some slots should have (v8PoolForSlots).
//
// node reads NODE_OPTIONS first and its command line after, so a flag on the
// command line wins, and of several, the last wins. It splits NODE_OPTIONS at
// spaces, honouring "double quotes" (a backslash in them escapes the next
// character); a flag's name may spell `-` as `_`; the value follows `=` or is
// the next word (not a word starting with `-`: node refuses that).

/** node's --v8-pool-size when none is given (node 20 to 24). */
const NODE_DEFAULT_V8_POOL = 4;

const NAME = '--v8-pool-size';

/**
 * The --v8-pool-size that node takes when started with `nodeOptions` as
 * NODE_OPTIONS and `execArgv` as the options on its command line: the value
 * as written ('' for the flag with no value, which node refuses), or
 * undefined where neither sets it.
 */
export function v8PoolSizeOption(nodeOptions: string | undefined, execArgv: readonly string[] = []): string | undefined {
  return lastValue(execArgv) ?? lastValue(nodeOptionsWords(nodeOptions ?? ''));
}

/**
 * V8's helper threads in a node started with `nodeOptions` as NODE_OPTIONS
 * and `execArgv` on its command line, on a machine of `cpus`: the size node
 * reads (its leading digits, as strtol), node's default where none is given,
 * and for 0, no digits or a negative number the CPUs less one, at least one
 * (node 20, counted by its threads: `abc` as 0, `12abc` as 12).
 */
export function v8HelperThreads(nodeOptions: string | undefined, execArgv: readonly string[], cpus: number): number {
  const value = v8PoolSizeOption(nodeOptions, execArgv);
  if (value === undefined) return NODE_DEFAULT_V8_POOL;
  const size = Number(/^\d+/.exec(value)?.[0] ?? 0);
  return size > 0 ? size : Math.max(1, cpus - 1);
}

/**
 * The V8 helper threads for a node process that holds `slots` slots: one
 * fewer than its slots, at least one. Its main thread runs JavaScript (and
 * V8's work on it) the whole time, and takes one slot; the helpers get the
 * rest. Helpers as many as the slots ran slots + 1 threads of V8 work: alone
 * under make -j2 on 2 cores, webpack, vite and rollup + terser builds of real
 * libraries ran 0.4-0.5 s faster with one helper than with two (bench, real-code).
 * At one slot, still one: 0 would be node's "the CPUs less one".
 */
export function v8PoolForSlots(slots: number): number {
  return Math.max(1, slots - 1);
}

/** The value of the last --v8-pool-size in `args`, if any. */
function lastValue(args: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const equals = arg.indexOf('=');
    const name = (equals < 0 ? arg : arg.slice(0, equals)).replaceAll('_', '-');
    if (name !== NAME) continue;
    if (equals >= 0) value = arg.slice(equals + 1);
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) value = args[++i]!;
    else value = '';
  }
  return value;
}

/** NODE_OPTIONS as node splits it into words (node.cc's ParseNodeOptionsEnvVar). */
function nodeOptionsWords(nodeOptions: string): string[] {
  const words: string[] = [];
  let quoted = false;
  let startsWord = true;
  for (let i = 0; i < nodeOptions.length; i++) {
    let c = nodeOptions[i]!;
    if (c === '\\' && quoted && i + 1 < nodeOptions.length) c = nodeOptions[++i]!;
    else if (c === ' ' && !quoted) {
      startsWord = true;
      continue;
    } else if (c === '"') {
      quoted = !quoted;
      continue;
    }
    if (startsWord) words.push(c);
    else words[words.length - 1] += c;
    startsWord = false;
  }
  return words;
}
