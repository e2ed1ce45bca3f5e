// `jobslot run`'s command line, read without commander: `jobslot run` stands
// between make and every build it wraps, so loading commander and building
// the whole program (every subcommand's options and help) is start-up time
// each wrapped build pays. Only the plain forms are read here:
//   run [--max M | --max=M] [--style S | --style=S] [--spawn] ... [--] CMD ...
// with a valid M and S. Anything else (--help, a bad value, an option we do
// not know, no command) returns undefined, and commander (program.ts) reads
// the command line as before, with its messages.
import type { StyleChoice } from './style.js';

export const STYLE_CHOICES: readonly StyleChoice[] = ['auto', 'pipe', 'fifo'];

/** A whole number of at least 1, as --max and -j take it; undefined if `value` is not one. */
export function positiveInteger(value: string): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

export interface RunArgs {
  command: string[];
  options: { max?: number; style: StyleChoice; spawn?: boolean };
}

/** `args` (after node and the script) as commander would read a plain `jobslot run`; undefined for commander to read. */
export function parseRunArgs(args: readonly string[]): RunArgs | undefined {
  if (args[0] !== 'run') return undefined;
  const options: RunArgs['options'] = { style: 'auto' };
  for (let i = 1; i < args.length; i++) {
    const word = args[i]!;
    // `--` ends our options; as in commander, the first operand does too (passThroughOptions).
    if (word === '--' || !word.startsWith('-')) {
      const command = args.slice(word === '--' ? i + 1 : i);
      return command.length > 0 ? { command, options } : undefined;
    }
    if (word === '--spawn') {
      options.spawn = true;
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq > 0 ? word.slice(0, eq) : word;
    if (name !== '--max' && name !== '--style') return undefined;
    const value = eq > 0 ? word.slice(eq + 1) : args[++i];
    if (value === undefined) return undefined;
    if (name === '--max') {
      const max = positiveInteger(value);
      if (max === undefined) return undefined;
      options.max = max;
    } else {
      if (!STYLE_CHOICES.includes(value as StyleChoice)) return undefined;
      options.style = value as StyleChoice;
    }
  }
  return undefined;
}
