// `jobslot -j N [--style fifo|pipe] -- CMD ...`: run CMD under a new jobserver.
import { createJobserver } from '../server.js';
import { trace } from '../trace.js';
import { createSemaphoreJobserver } from '../windows-server.js';
import { exitLike, runChild } from './child.js';

export async function serve(command: string[], options: { jobs: number; style: 'fifo' | 'pipe' }): Promise<never> {
  // Windows: a named semaphore, as make for Windows serves (--style is POSIX's).
  const server = process.platform === 'win32' ? createSemaphoreJobserver({ jobs: options.jobs }) : createJobserver({ jobs: options.jobs, style: options.style });
  trace('server', { jobs: server.jobs, message: server.style });
  const result = await runChild(command, { env: server.env(process.env), extraFds: server.stdio });
  const { lost } = server.close();
  if (lost > 0) {
    process.stderr.write(`jobslot: ${lost} of ${server.tokens} job tokens were not returned (lost by ${command.join(' ')})\n`);
  }
  return exitLike(result);
}
