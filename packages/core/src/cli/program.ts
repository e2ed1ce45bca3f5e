// The `jobslot` command's full command line, parsed by commander: every
// subcommand, --help, --version and the messages for a wrong command line.
// main.ts loads it for everything but the common `jobslot run [--max M]
// [--style S] [--] CMD ...`, which it parses itself (run-args.ts).
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import { positiveInteger, STYLE_CHOICES } from './run-args.js';
import { parseSize } from './size.js';
import type { StyleChoice } from './style.js';

// Each subcommand's code is loaded when it runs (import() below), not at
// start (see main.ts).

// This code is in dist/ (cli.cjs and its chunks): the package's package.json is one directory up.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const SUBCOMMANDS = ['run', 'report', 'serve', 'env', 'status'];
const HINT = '(see `jobslot --help`)';
/** With root options first (`jobslot -j N -- CMD`), the words after `--` (runProgram). */
let afterDashes: string[] | undefined;

function styleOption(): Option {
  return new Option(
    '--style <style>',
    'how MAKEFLAGS names the jobserver: pipe (R,W descriptors: every make, gcc and cargo; not ninja), fifo (a path: make 4.4+, ninja 1.13, cargo; not make 4.3 or gcc 12), or auto: fifo for ninja, pipe for make, else as the jobserver above (pipe without one)',
  )
    .choices(STYLE_CHOICES)
    .default('auto');
}

function positiveInt(value: string): number {
  const n = positiveInteger(value);
  if (n === undefined) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function loadLimit(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a load average, a number of 0 or more (as make -l takes)');
  return n;
}

function size(value: string): number {
  const n = parseSize(value);
  if (n === undefined) throw new InvalidArgumentError('expected a size such as 4G, 512M or 1073741824 (K, M, G, T, P are powers of 1024)');
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
  .action(async (operands: string[], options: { jobs?: number; style: StyleChoice }) => {
    const command = afterDashes ?? operands;
    // A wrong command line gets one line saying what is wrong and where to look, not the whole help.
    if (!options.jobs) {
      if (command.length === 0) program.error(`jobslot: missing a command: jobslot -j N -- CMD, jobslot run -- CMD or jobslot report TRACE ${HINT}`);
      const [word] = command;
      // `jobslot help` and `jobslot help run`, as git and npm take them.
      if (word === 'help') {
        const topic = program.commands.find((c) => c.name() === command[1]);
        if (command.length === 1 || topic) (topic ?? program).help();
      }
      const near = SUBCOMMANDS.find((c) => c.startsWith(word!.slice(0, 2)));
      program.error(`jobslot: unknown command '${word}'${near ? ` (did you mean 'jobslot ${near}'?)` : ''}; to run a command under a new jobserver: jobslot -j N -- ${command.join(' ')} ${HINT}`);
    }
    if (command.length === 0) program.error(`jobslot: -j ${options.jobs} needs the command to run: jobslot -j ${options.jobs} -- CMD ... ${HINT}`);
    const { serve } = await import('./serve.js');
    await serve(command, { jobs: options.jobs!, style: options.style });
  });

program
  .command('run')
  .summary('run CMD on a sub-pool of the jobserver above, its thread pools sized to it')
  .description(
    'serve CMD a jobserver of its own, carved out of the one above (make\'s): it starts with the tokens free now, keeps those (CMD\'s thread pools are sized to them), grows while CMD\'s jobs use them all and gives back the added tokens they leave unused; ' +
      'GOMAXPROCS, ROLLDOWN_WORKER_THREADS, RAYON_NUM_THREADS, TOKIO_WORKER_THREADS, RSPACK_LOADER_WORKER_THREADS and task runners\' concurrency (TURBO_CONCURRENCY, NX_PARALLEL, ...) are set to the slots held when CMD starts, V8\'s --v8-pool-size to one fewer (node\'s main thread holds one), at least 1; every token goes back when CMD ends. ' +
      'Without a jobserver above, CMD gets one of --max slots, else one per CPU. ' +
      'A node script this node would run (node SCRIPT, a script with a node shebang, a pnpm shim of one) runs inside jobslot\'s own process under make, not in a second node, where jobslot\'s V8 helper threads (node\'s 4, or NODE_OPTIONS\'s --v8-pool-size) are no more than a node of its own would get (--spawn: always in a process of its own). ' +
      'On Windows the sub-pool is a named semaphore (as make for Windows serves) of the tokens free when CMD starts, kept until it ends.',
  )
  .passThroughOptions()
  .option('--max <m>', 'the most slots CMD and everything beneath it use at once, its own included (default: make\'s -jN, else the CPU count)', positiveInt)
  .addOption(styleOption())
  .option('--spawn', 'start CMD in a process of its own, also where it is a node script jobslot could run in its own process')
  .argument('<command...>', 'the command to run, after --')
  .action(async (command: string[], options: { max?: number; style: StyleChoice; spawn?: boolean }) => {
    const { runUnder } = await import('./run.js');
    await runUnder(command, options);
  });

program
  .command('report')
  .description('summarize a JOBSLOT_TRACE file: peak slots against -j, tokens not returned, idle waiting')
  .option('--jobs <n>', 'the -j to check against (default: from the trace)', positiveInt)
  .option('--svg <out>', 'also draw a timeline: one lane per process, and the total against -j')
  .option('--html <out>', 'also write one self-contained HTML page: the summary, a table of processes, the slots and CPU over time, a lane per process')
  .option('--chrome-trace <out>', 'also write the trace in Chrome Trace Event Format, for Perfetto or chrome://tracing')
  .argument('<trace>', 'the trace file')
  .action(async (file: string, options: { jobs?: number; svg?: string; html?: string; chromeTrace?: string }) => {
    const { formatReport } = await import('./report.js');
    const report = formatReport(file, options);
    if ('error' in report) {
      program.error(`jobslot report: ${report.error}`);
    } else {
      process.stdout.write(report.text + '\n');
      process.exitCode = report.ok ? 0 : 1;
    }
  });

program
  .command('serve')
  .summary('serve one jobserver to every build this user starts (a per-user daemon, in the foreground)')
  .description(
    'serve N job tokens to every build of this user\'s on this machine, until SIGTERM: a fifo jobserver in $XDG_RUNTIME_DIR/jobslot/ (else $TMPDIR/jobslot-UID/, mode 700) that make 4.4, ninja 1.13, cargo and jobslot clients join (eval "$(jobslot env)"), and that `jobslot run` outside make joins by itself. ' +
      'Tokens a jobslot process held come back when it ends, however it ends; tokens read by others come back when nobody holds the fifo open. Background it with & or a service manager.',
  )
  .requiredOption('-j, --jobs <n>', 'the most jobs all builds run at once', positiveInt)
  .option('--load-average <l>', "hold tokens back while the 1-minute load average is above L (as make's -l); one stays in circulation", loadLimit)
  .option('--min-memory <size>', 'hold tokens back while available memory is below SIZE (e.g. 4G); one stays in circulation', size)
  .action(async (options: { jobs: number; loadAverage?: number; minMemory?: number }) => {
    const { serveDaemon } = await import('./daemon.js');
    await serveDaemon(options);
  });

program
  .command('env')
  .description('print the shell lines that make builds started from this shell join the running `jobslot serve` (eval "$(jobslot env)"); exit 1, saying why, when none runs')
  .action(async () => {
    const { printEnv } = await import('./env.js');
    await printEnv();
  });

program
  .command('status')
  .description('who holds what of the running `jobslot serve`: pid, command, tokens and since when, one line each; tokens free; the limits in force')
  .option('--json', 'the same as one JSON object, for scripts (times in ms since the epoch, sizes in bytes)')
  .action(async (options: { json?: boolean }) => {
    const { printStatus } = await import('./status.js');
    await printStatus(options);
  });

/** Parses `args` (process.argv without node and the script) and runs what they say. */
export async function runProgram(args: string[]): Promise<void> {
  // `jobslot -j N -- env X=1 make`: everything after `--` is CMD, even a word that names one of our
  // subcommands (env, run, status): commander would otherwise dispatch it as ours. So with root
  // options first, the words after `--` are kept from commander and handed to the action.
  args = [...args];
  const dashes = args.indexOf('--');
  if (dashes > 0 && args[0]!.startsWith('-') && args[0] !== '--') {
    afterDashes = args.slice(dashes + 1);
    args.splice(dashes);
  }
  await program.parseAsync(args, { from: 'user' });
}
