// What `jobslot -j` and `jobslot run` do alike with a jobserver of their own:
// start it (or say in one line why not), run the command under it, count
// what came back, and end as the command ended.
import { createJobserver, type Jobserver, type JobserverOptions } from '../posix/server.js';
import { exitLike, runChild } from './child.js';
import type { PoolTrace } from './pool-trace.js';
import { ffiMissing, reportReturns } from './words.js';

/** Starts a jobserver, or ends this process with one line saying why it cannot (`why` leads it). */
export function startJobserver(options: JobserverOptions, why?: string): Jobserver {
  try {
    return createJobserver(options);
  } catch (error) {
    process.stderr.write(`jobslot: ${why ? `${why}; and ` : ''}cannot start a jobserver: ${ffiMissing(error) ?? (error as Error).message}\n`);
    process.exit(1);
  }
}

/** The part of a jobserver (POSIX or Windows) that serving a command needs. */
type Served = Pick<Jobserver, 'stdio' | 'tokens' | 'close'>;

/** Runs `command` with `env` (and `argv0`, if given) under `server`, says if tokens went missing or multiplied, and exits as the command did. */
export async function serveCommand(command: string[], server: Served, env: NodeJS.ProcessEnv, traced?: PoolTrace, argv0?: string): Promise<never> {
  const result = await runChild(command, { env, extraFds: server.stdio, argv0 });
  traced?.stop();
  const given = server.tokens;
  reportReturns(server.close(), given, command);
  return exitLike(result);
}
