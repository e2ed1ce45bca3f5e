// The `jobslot` command.
//   jobslot -j N [--style S] -- CMD ...           run CMD under a new jobserver
//   jobslot run [--max M] [--style S] -- CMD ...  run CMD on a sub-pool of the jobserver above
//   jobslot report [--jobs N] [--svg OUT] [--html OUT] [--chrome-trace OUT] TRACE
//                                                  summarize a JOBSLOT_TRACE file
//   jobslot serve -j N [--load-average L] [--min-memory SIZE]
//                                                 one jobserver for every build of this user's (a daemon)
//   jobslot env                                   the shell lines that join a shell to it
//   jobslot status                                who holds what of it
//
// `jobslot run` stands between make and every build it wraps: what it loads
// and does not need is start-up time each wrapped build pays. So a plain
// `jobslot run` is read here (run-args.ts) and goes straight to run.ts;
// everything else loads commander and the whole program (program.ts). Each
// subcommand's code is loaded when it runs, not at start.
import { resolve } from 'node:path';
import { parseRunArgs } from './run-args.js';

// So traces, ps and the report's timeline name us.
process.title = 'jobslot';

// A relative JOBSLOT_TRACE names one file from here, the top: every process
// below writes to it, whatever directory its recipe `cd`s into.
if (process.env.JOBSLOT_TRACE) process.env.JOBSLOT_TRACE = resolve(process.env.JOBSLOT_TRACE);

async function main(args: string[]): Promise<void> {
  const run = parseRunArgs(args);
  if (run) {
    const { runUnder } = await import('./run.js');
    await runUnder(run.command, run.options);
  } else {
    const { runProgram } = await import('./program.js');
    await runProgram(args);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // As an uncaught rejection would end it, without the help of a top-level await.
  process.exitCode = 1;
  throw error;
});
