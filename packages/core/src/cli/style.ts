// Which style the jobserver handed to a command takes: `--style auto`, the
// default of `jobslot -j` and `jobslot run`.
//
// No one MAKEFLAGS suits every reader (all measured here):
// - ninja 1.13 reads only a fifo: handed a pipe it says "Ignoring jobserver:
//   Pipe-based protocol is not supported!" and runs cores + 2 edges at once.
// - make 4.3 (Debian 12's, Ubuntu 24.04's) reads only a pipe: handed a fifo it
//   stops ("invalid --jobserver-auth string"). It reads the last
//   `--jobserver-auth=` word, as ninja does, so naming the pool twice serves
//   one of them only.
// - gcc 12's -flto=jobserver reads only a pipe, from the first word, and then
//   runs the system make (4.3 here) for its ltrans jobs: so a fifo anywhere in
//   MAKEFLAGS beneath it is fatal or unread, whatever word comes first.
// - make 4.4, cargo (jobserver crate 0.1.34) and jobslot read both.
// So:
// - the command is ninja: 'fifo', what make 4.4 gives it (whatever is above);
// - the command is make (any version): 'pipe', which every make reads; make
//   4.4 hands on the style it was given, so gcc 12 beneath it still runs its
//   ltrans jobs in parallel. A ninja beneath such a make goes without, as
//   under make 4.3: `--style fifo` serves it, at gcc 12's cost.
// - anything else (a shell, npm run, node...): the style of the jobserver
//   above, so it sees what make would have given it (beneath make 4.4.1:
//   the fifo, which ninja reads; beneath make 4.3 or cargo: the pipe);
//   without one (`jobslot -j`): 'pipe', what every make and gcc read.
// `--style pipe|fifo` overrides it.
import { basename } from 'node:path';
import type { JobserverOptions } from '../posix/server.js';

type JobserverStyle = NonNullable<JobserverOptions['style']>;
export type StyleChoice = JobserverStyle | 'auto';

/** Words that run the next word as the command: `env A=1 ninja`, `npx ninja`, `pnpm exec ninja`, `nice ninja`. */
const WRAPPERS = new Set(['env', 'nice', 'nohup', 'time', 'command', 'exec', 'npx', 'pnpx', 'bunx']);
const EXEC_SUBCOMMANDS = new Set(['pnpm', 'npm', 'yarn']);

/** The program a command line ends up running, as far as its words show (no shell is read). */
export function programOf(command: readonly string[]): string | undefined {
  let i = 0;
  while (i < command.length) {
    const word = command[i]!;
    const name = basename(word);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) || (i > 0 && word.startsWith('-') && WRAPPERS.has(basename(command[0]!)))) {
      i++;
    } else if (WRAPPERS.has(name)) {
      i++;
    } else if (EXEC_SUBCOMMANDS.has(name) && command[i + 1] === 'exec') {
      i += 2;
    } else {
      return word;
    }
  }
  return undefined;
}

/**
 * The style for `command`'s jobserver. `outer` is how the jobserver above is
 * named ('fifo' under make 4.4), if there is one.
 */
export function chooseStyle(requested: StyleChoice, command: readonly string[], outer: 'fifo' | 'pipe' | 'sem' | undefined): JobserverStyle {
  if (requested !== 'auto') return requested;
  const program = programOf(command);
  const name = program ? basename(program).replace(/\.exe$/i, '') : '';
  if (name === 'ninja') return 'fifo';
  if (/^g?make$/.test(name)) return 'pipe';
  return outer === 'fifo' ? 'fifo' : 'pipe';
}
