// The `jobslot` command.
//   jobslot -j N [--style fifo|pipe] -- CMD ...   run CMD under a new jobserver
//   jobslot run [--max M] -- CMD ...              run CMD with the tokens it can take now
//   jobslot report [--jobs N] [--svg OUT] TRACE   summarize a JOBSLOT_TRACE file
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatReport } from './report.js';
import { runUnder } from './run.js';
import { serve } from './serve.js';

// So traces, ps and the report's timeline name us.
process.title = 'jobslot';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

const program = new Command('jobslot')
  .description('Share GNU make job tokens with JavaScript build tools.')
  .enablePositionalOptions()
  .passThroughOptions()
  .option('-j, --jobs <n>', 'run CMD under a new jobserver allowing N jobs', positiveInt)
  .addOption(new Option('--style <style>', 'how MAKEFLAGS names the jobserver: pipe (R,W descriptors, read by every make, gcc and cargo) or fifo (a path, make 4.4+ only)').choices(['pipe', 'fifo']).default('pipe'))
  .argument('[command...]', 'the command to run, after --')
  .action(async (command: string[], options: { jobs?: number; style: 'fifo' | 'pipe' }) => {
    if (!options.jobs || command.length === 0) {
      program.help({ error: true });
    }
    await serve(command, { jobs: options.jobs!, style: options.style });
  });

program
  .command('run')
  .description('inside a jobserver: take up to M slots without waiting, size CMD\'s thread pools to them, give them back when CMD exits')
  .passThroughOptions()
  .option('--max <m>', 'the most slots for CMD, its implicit one included (default: -jN, else the CPU count)', positiveInt)
  .argument('<command...>', 'the command to run, after --')
  .action(async (command: string[], options: { max?: number }) => {
    await runUnder(command, options);
  });

program
  .command('report')
  .description('summarize a JOBSLOT_TRACE file: peak slots against -j, tokens not returned, idle waiting')
  .option('--jobs <n>', 'the -j to check against (default: from the trace)', positiveInt)
  .option('--svg <out>', 'also draw a timeline: one lane per process, and the total against -j')
  .argument('<trace>', 'the trace file')
  .action((file: string, options: { jobs?: number; svg?: string }) => {
    const { text, ok } = formatReport(file, options);
    process.stdout.write(text + '\n');
    process.exitCode = ok ? 0 : 1;
  });

await program.parseAsync(process.argv);
