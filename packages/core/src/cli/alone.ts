// `jobslot run` with no usable jobserver above, on every platform: how many
// slots CMD gets on a jobserver of its own, and the one line that says so.
import type { JobClient } from '../client/client.js';
import { describeCommand } from './words.js';

export interface AloneSlots {
  jobs: number;
  /** Why there is no jobserver above (the client's first warning, or its error). */
  why: string;
  /** The line that tells the user. */
  line: string;
}

export function aloneSlots(command: string[], client: JobClient, max: number | undefined, warnings: string[]): AloneSlots {
  // Under make without a usable jobserver (make -j1, a recipe without '+'),
  // make runs one job at a time: so does CMD. Otherwise --max, else the CPUs.
  const jobs = client.fallbackSlots === 1 && client.error?.kind !== 'no-jobserver' ? 1 : (max ?? client.fallbackSlots);
  const why = warnings[0] ?? client.error?.message ?? 'no jobserver';
  const source = max !== undefined && jobs === max ? '--max' : jobs === 1 ? 'make runs one job at a time' : 'the CPU count';
  return { jobs, why, line: `jobslot run: ${why}; ${describeCommand(command)} gets ${jobs} slot${jobs === 1 ? '' : 's'} (${source})\n` };
}
