// The `jobslot` command.
//   jobslot -j N [--style S] -- CMD ...           run CMD under a new jobserver
//   jobslot run [--max M] [--style S] -- CMD ...  run CMD on a sub-pool of the jobserver above
//   jobslot report [--jobs N] [--svg OUT] TRACE   summarize a JOBSLOT_TRACE file
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatReport } from './report.js';
import { runUnder } from './run.js';
import { serve } from './serve.js';
import type { StyleChoice } from './style.js';

// So traces, ps and the report's timeline name us.
process.title = 'jobslot';

// A relative JOBSLOT_TRACE names one file from here, the top: every process
// below writes to it, whatever directory its recipe `cd`s into.
if (process.env.JOBSLOT_TRACE) process.env.JOBSLOT_TRACE = resolve(process.env.JOBSLOT_TRACE);

// This file is dist/cli.js: the package's package.json is one directory up.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const SUBCOMMANDS = ['run', 'report'];
const HINT = '(see `jobslot --help`)';

function styleOption(): Option {
  return new Option(
    '--style <style>',
    'how MAKEFLAGS names the jobserver: pipe (R,W descriptors: every make, gcc and cargo; not ninja), fifo (a path: make 4.4+, ninja 1.13, cargo; not make 4.3 or gcc 12), or auto: fifo for ninja, pipe for make, else as the jobserver above (pipe without one)',
  )
    .choices(['auto', 'pipe', 'fifo'])
    .default('auto');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

const program = new Command('jobslot')
  .description('Share GNU make job tokens with JavaScript build tools.')
  .version(version, '-V, --version', 'print the version')
  .enablePositionalOptions()
  .passThroughOptions()
  .option('-j, --jobs <n>', 'run CMD under a new jobserver allowing N jobs (inside one already: join it, at most N slots)', positiveInt)
  .addOption(styleOption())
  .argument('[command...]', 'the command to run, after --')
  .action(async (command: string[], options: { jobs?: number; style: StyleChoice }) => {
    // A wrong command line gets one line saying what is wrong and where to look, not the whole help.
    if (!options.jobs) {
      if (command.length === 0) program.error(`jobslot: missing a command: jobslot -j N -- CMD, jobslot run -- CMD or jobslot report TRACE ${HINT}`);
      const [word] = command;
      const near = SUBCOMMANDS.find((c) => c.startsWith(word!.slice(0, 2)));
      program.error(`jobslot: unknown command '${word}'${near ? ` (did you mean 'jobslot ${near}'?)` : ''}; to run a command under a new jobserver: jobslot -j N -- ${command.join(' ')} ${HINT}`);
    }
    if (command.length === 0) program.error(`jobslot: -j ${options.jobs} needs the command to run: jobslot -j ${options.jobs} -- CMD ... ${HINT}`);
    await serve(command, { jobs: options.jobs!, style: options.style });
  });

program
  .command('run')
  .summary('run CMD on a sub-pool of the jobserver above, its thread pools sized to it')
  .description(
    'serve CMD a jobserver of its own, carved out of the one above (make\'s): it starts with the tokens free now, keeps those (CMD\'s thread pools are sized to them), grows while CMD\'s jobs use them all and gives back the added tokens they leave unused; ' +
      'GOMAXPROCS, ROLLDOWN_WORKER_THREADS, RAYON_NUM_THREADS, TOKIO_WORKER_THREADS, RSPACK_LOADER_WORKER_THREADS, V8\'s --v8-pool-size and task runners\' concurrency (TURBO_CONCURRENCY, NX_PARALLEL, ...) are set to the slots held when CMD starts; every token goes back when CMD ends. ' +
      'Without a jobserver above, CMD gets one of --max slots, else one per CPU.',
  )
  .passThroughOptions()
  .option('--max <m>', 'the most slots CMD and everything beneath it use at once, its own included (default: make\'s -jN, else the CPU count)', positiveInt)
  .addOption(styleOption())
  .argument('<command...>', 'the command to run, after --')
  .action(async (command: string[], options: { max?: number; style: StyleChoice }) => {
    await runUnder(command, options);
  });

program
  .command('report')
  .description('summarize a JOBSLOT_TRACE file: peak slots against -j, tokens not returned, idle waiting')
  .option('--jobs <n>', 'the -j to check against (default: from the trace)', positiveInt)
  .option('--svg <out>', 'also draw a timeline: one lane per process, and the total against -j')
  .argument('<trace>', 'the trace file')
  .action((file: string, options: { jobs?: number; svg?: string }) => {
    const report = formatReport(file, options);
    if ('error' in report) {
      program.error(`jobslot report: ${report.error}`);
    } else {
      process.stdout.write(report.text + '\n');
      process.exitCode = report.ok ? 0 : 1;
    }
  });

await program.parseAsync(process.argv);
