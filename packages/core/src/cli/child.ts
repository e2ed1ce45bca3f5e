// Running the command jobslot wraps: stdio passed through, SIGINT/SIGTERM/SIGHUP
// forwarded, and our own exit mirroring the child's (its code, or its signal).
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
// Loaded when a command is started, not with this file: node:child_process
// brings net, stream and dgram with it (~2 ms), and a node command that
// `jobslot run` runs in its own process (in-process.ts) may never need them.
import { childProcess } from '../builtins.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Starts `command` and resolves when it exits. Signals we receive meanwhile go
 * to it, and only to it: we stay alive (holding its tokens) until it has ended.
 */
export function runChild(command: string[], options: { env: NodeJS.ProcessEnv; extraFds?: number[]; argv0?: string }): Promise<ChildExit> {
  const [file, ...args] = command;
  const stdio: StdioOptions = ['inherit', 'inherit', 'inherit', ...(options.extraFds ?? [])];
  // Windows runs .cmd and .bat files (npm's shims among them) only through a
  // shell: it refuses them at once (EINVAL), or finds no `npm` at all (ENOENT).
  const hint = process.platform === 'win32' ? ` (run .cmd and .bat files, npm's among them, as: cmd /c ${command.join(' ')})` : '';
  let child: ChildProcess;
  try {
    child = childProcess().spawn(file!, args, { stdio, env: options.env, ...(options.argv0 === undefined ? {} : { argv0: options.argv0 }) });
  } catch (error) {
    process.stderr.write(`jobslot: cannot run ${file}: ${(error as Error).message}${hint}\n`);
    return Promise.resolve({ code: 127, signal: null });
  }
  const forward = (signal: NodeJS.Signals) => {
    child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`jobslot: cannot run ${file}: ${error.message}${hint}\n`);
      for (const s of FORWARDED) process.off(s, forward);
      resolve({ code: 127, signal: null });
    });
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      resolve({ code, signal });
    });
  });
}

/**
 * Ends this process the way the child ended: the same code, or death by the
 * same signal (a shell then sees 128 + n, and make reports the signal).
 * Call it after everything is given back.
 */
export function exitLike(result: ChildExit): never {
  if (result.signal) {
    // Our own listeners (and any a library left) would catch it: let the default action run.
    process.removeAllListeners(result.signal);
    process.kill(process.pid, result.signal);
    // Still here: node ignores this signal (SIGPIPE). Say it as a shell would.
    process.exit(128 + (constants.signals[result.signal] ?? 0));
  }
  process.exit(result.code ?? 1);
}
