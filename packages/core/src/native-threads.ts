// The one warning about native threads that no plugin can size: Go's, rayon's
// and tokio's pools read their size once, when the process starts (threads.ts
// lists the variables), so under a jobserver only `jobslot run`, which sets
// them before the tool starts, can fit them to the job slots. Each plugin
// says so through its tool's own logger, once per process.
import { oncePerProcess } from './once.js';
import { THREAD_VARIABLES } from './threads.js';
import type { JobserverClient } from './types.js';

export interface NativeThreadsAdvice {
  /** The tool, as the user knows it: 'vite', 'rolldown', 'rspack'. */
  tool: string;
  /** Its native threads, in words: 'threads (rolldown, esbuild)'. */
  threads: string;
  /** The command to run beneath `jobslot run`: 'vite build'. */
  command: string;
  /** The variables that show its pools were sized. Default: every variable of THREAD_VARIABLES. */
  variables?: readonly string[];
}

/**
 * The advice to run the tool beneath `jobslot run`, when a jobserver governs
 * this process but none of the tool's thread variables is set; undefined
 * otherwise, and after the first time for this tool in this process.
 */
export function nativeThreadsWarning(client: Pick<JobserverClient, 'connected'>, advice: NativeThreadsAdvice): string | undefined {
  if (!client.connected) return undefined;
  if ((advice.variables ?? THREAD_VARIABLES).some((v) => process.env[v])) return undefined;
  if (!oncePerProcess(`native-threads:${advice.tool}`)) return undefined;
  return (
    `jobslot: ${advice.tool} runs under a make jobserver, but its native ${advice.threads} were sized to the machine when the process started. ` +
    `Run it as \`jobslot run -- ${advice.command}\` to size them to the job slots.`
  );
}
