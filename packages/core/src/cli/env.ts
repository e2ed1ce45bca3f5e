// `jobslot env`: the shell lines that make every make 4.4, ninja 1.13, cargo
// and jobslot client started from this shell join the user's `jobslot serve`
// (for a profile, or a CI runner's job hook: eval "$(jobslot env)").
// Exits 1, saying why, when no daemon runs: a hook then goes on unjoined.
import { execFileSync } from 'node:child_process';
import { escapeMakeflagsWord, withJobserver } from '../makeflags.js';
import { askDaemon } from './daemon-ask.js';

/** Quotes a value for a POSIX shell. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The version of the `make` on PATH ('4.3'), or undefined if there is none. */
function makeVersion(): string | undefined {
  try {
    return /GNU Make (\d+\.\d+)/.exec(execFileSync('make', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1];
  } catch {
    return undefined;
  }
}

function olderThan44(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < 4 || (major === 4 && minor < 4);
}

export async function printEnv(): Promise<void> {
  const asked = await askDaemon('info');
  if (!asked.ok) {
    process.stderr.write(`jobslot env: ${asked.error}\n`);
    process.exitCode = 1;
    return;
  }
  const { jobs, fifo } = asked.info;
  const flags = withJobserver(undefined, jobs, `fifo:${escapeMakeflagsWord(fifo)}`);
  const lines: string[] = [];
  // cargo (and jobslot's clients) read CARGO_MAKEFLAGS first.
  lines.push(`export CARGO_MAKEFLAGS=${shellQuote(flags)}`);
  const make = makeVersion();
  if (make && olderThan44(make)) {
    // make 4.3 stops on any make it starts ("invalid --jobserver-auth string")
    // when MAKEFLAGS names a fifo: leave make's variable alone here.
    lines.push(`# make ${make} on PATH reads no fifo jobserver: MAKEFLAGS is left alone; run its builds as: jobslot run -- make`);
    process.stderr.write(
      `jobslot env: the make on PATH is ${make}, which stops with "invalid --jobserver-auth string" on a fifo jobserver, so MAKEFLAGS is not set: run make (and ninja) builds as \`jobslot run -- make\`, which joins the daemon and serves make a pipe, or put make 4.4 first on PATH\n`,
    );
  } else {
    lines.push(`export MAKEFLAGS=${shellQuote(flags)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
