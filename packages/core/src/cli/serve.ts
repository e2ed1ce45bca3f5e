// `jobslot -j N [--style auto|pipe|fifo] -- CMD ...`: run CMD under a new
// jobserver (the style: see style.ts).
//
// Inside a jobserver already (make -j above us), a second one would let CMD
// run N jobs on top of make's limit. make says "-jN forced in submake:
// resetting jobserver mode" and does it anyway; we join the outer pool
// instead, as `jobslot run --max N` does, and say so in one line.
import { JobClient } from '../client/client.js';
import { MAX_JOBS } from '../posix/server.js';
import { trace } from '../trace.js';
import { traceUnder, tracePool } from './pool-trace.js';
import { runUnder } from './run.js';
import { serveCommand, startJobserver } from './serving.js';
import { chooseStyle, type StyleChoice } from './style.js';
import { taskRunnerEnv } from './task-runners.js';
import { describeCommand } from './words.js';

export async function serve(command: string[], options: { jobs: number; style: StyleChoice }): Promise<never> {
  if (options.jobs > MAX_JOBS) {
    process.stderr.write(`jobslot: -j${options.jobs} is more than a jobserver can hold (at most ${MAX_JOBS}, a pipe's worth of tokens)\n`);
    process.exit(2);
  }
  const outer = JobClient.fromEnv({ onWarning: () => {} });
  const joinable = outer.connected;
  const outerJobs = outer.jobs;
  outer.close();
  if (joinable) {
    process.stderr.write(
      `jobslot: -j${options.jobs} inside a jobserver${outerJobs ? ` (-j${outerJobs})` : ''}: joining it, at most ${options.jobs} slots for ${describeCommand(command)} (as 'jobslot run --max ${options.jobs}')\n`,
    );
    return runUnder(command, { max: options.jobs, style: options.style });
  }
  // Windows: a named semaphore, as make for Windows serves (--style is POSIX's).
  if (process.platform === 'win32') return serveSemaphore(command, options.jobs, options.style);
  const server = startJobserver({ jobs: options.jobs, style: chooseStyle(options.style, command, undefined), baseMakeflags: process.env.MAKEFLAGS });
  trace('server', { jobs: server.jobs, message: server.style });
  // A task runner beneath (`jobslot -j N -- turbo run build`) runs at most N tasks.
  return serveCommand(command, server, { ...traceUnder(server.env(process.env)), ...taskRunnerEnv(server.jobs) }, tracePool(server));
}

// Loaded only there: a POSIX `jobslot -j` loads no Windows code.
async function serveSemaphore(command: string[], jobs: number, style: StyleChoice): Promise<never> {
  const [{ createSemaphoreJobserver }, { sayStyleIgnored }] = await Promise.all([import('../windows/server.js'), import('./run-windows.js')]);
  sayStyleIgnored(style);
  const server = createSemaphoreJobserver({ jobs });
  trace('server', { jobs: server.jobs, message: server.style });
  // The pool it serves, in the trace as on POSIX: tokens out and back, whoever holds them.
  return serveCommand(command, server, { ...traceUnder(server.env(process.env)), ...taskRunnerEnv(server.jobs) }, tracePool(server));
}
