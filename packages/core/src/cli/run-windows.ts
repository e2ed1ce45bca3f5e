// `jobslot run [--max M] -- CMD ...` on Windows: CMD gets a sub-pool of the
// jobserver above (make for Windows' semaphore, or `jobslot -j`'s), served as
// make for Windows serves one: a named semaphore, `--jobserver-auth=NAME`
// (windows/server.ts). make, cargo, ninja and jobslot's clients beneath all
// open it by name.
//
// - CMD runs on our job slot (make's implicit one) plus the tokens free above
//   when it starts (up to --max): we take and hold those, and the semaphore
//   starts with as many units. Nothing beneath can go over the outer limit:
//   every unit of the sub-pool stands for a token we hold.
// - Native pools and task runners are sized to those slots, as on POSIX
//   (command-env.ts).
// - The sub-pool is fixed for CMD's life: a semaphore's count cannot be read
//   cheaply by those who wait on it, nor waiters on it seen (no /proc), so
//   POSIX's grow-on-demand and give-back-when-idle (run.ts) are not done here.
// - When CMD ends, however it ends (exit, failure, killed), every token we
//   took goes back: we hold them, not CMD, so what CMD took from the sub-pool
//   and never gave back is not lost above; it is counted, and said.
// Jobs a killed CMD left running are not waited for (POSIX's orphans.ts):
// they end when we do, as node (libuv) puts every child in a job object
// that kills what is left in it when node exits. The `jobslot run` process
// itself being killed (TerminateProcess) loses what it held, as make for
// Windows would: no code runs then.
import { availableParallelism } from 'node:os';
import { JobClient, type Token } from '../client/client.js';
import { ownSlot } from './own-slot.js';
import { trace } from '../trace.js';
import { createSemaphoreJobserver, type SemaphoreJobserver } from '../windows/server.js';
import { aloneSlots } from './alone.js';
import { exitLike, runChild } from './child.js';
import { commandEnv } from './command-env.js';
import { tracePool } from './pool-trace.js';
import { serveCommand } from './serving.js';
import type { StyleChoice } from './style.js';
import { ffiMissing, reportReturns } from './words.js';

export async function runOnSemaphore(command: string[], options: { max?: number; style?: StyleChoice }): Promise<never> {
  sayStyleIgnored(options.style);
  const warnings: string[] = [];
  const client = JobClient.fromEnv({ onWarning: (m) => warnings.push(m) });
  if (!client.connected) {
    const { jobs, why, line } = aloneSlots(command, client, options.max, warnings);
    const server = startSemaphore({ jobs }, why);
    process.stderr.write(line);
    trace('server', { jobs, message: server.style });
    return serveCommand(command, server, commandEnv(server, jobs), tracePool(server));
  }

  // Our own slot for CMD: make's implicit one. A process make for Windows
  // started has it; beneath another jobslot run with no make between, a
  // sibling may own it (windows/pool-hint.ts): then wait for a token, or for
  // the implicit slot to come free, as make would before starting a job.
  const own = await ownSlot(client);
  const most = Math.max(1, options.max ?? client.jobs ?? availableParallelism());
  const extra: Token[] = [];
  while (1 + extra.length < most) {
    const token = client.tryAcquire();
    if (!token) break;
    extra.push(token);
  }
  // (If it cannot start, the process ends, and the client's exit hook gives back what we took.)
  const pool = startSemaphore({ jobs: most, tokens: extra.length });
  const slots = 1 + extra.length;
  const traced = tracePool(pool, { held: () => slots });
  const result = await runChild(command, { env: commandEnv(pool, slots), extraFds: pool.stdio });
  traced.stop();
  const counts = pool.close();
  // Everything we took goes back, also what CMD lost: it was ours to return.
  for (const token of extra) token.release();
  own.release();
  trace('hold', { held: 0 });
  client.close();
  reportReturns(counts, extra.length, command);
  return exitLike(result);
}

/** `--style pipe|fifo` names POSIX's kinds of jobserver: on Windows one line says what is served instead. */
export function sayStyleIgnored(style: StyleChoice | undefined): void {
  if (style && style !== 'auto') {
    process.stderr.write(`jobslot: --style ${style} is for Linux and macOS; on Windows the jobserver is a named semaphore, as make for Windows serves (leave --style out)\n`);
  }
}


/** Creates the semaphore, or ends this process with one line saying why it cannot (`why` leads it). */
function startSemaphore(options: { jobs: number; tokens?: number }, why?: string): SemaphoreJobserver {
  try {
    return createSemaphoreJobserver(options);
  } catch (error) {
    process.stderr.write(`jobslot: ${why ? `${why}; and ` : ''}cannot start a jobserver: ${ffiMissing(error) ?? (error as Error).message}\n`);
    process.exit(1);
  }
}
