// `jobslot run [--max M] -- CMD ...`: inside a jobserver, take tokens without
// waiting and start CMD with its native thread pools sized to the slots held.
import { availableParallelism } from 'node:os';
import { JobClient, type Token } from '../client.js';
import { createGrant, GRANT_VARIABLE } from '../grant.js';
import { makeflagsFromEnv, MAKEFLAGS_VARIABLES, replaceJobserverAuth } from '../makeflags.js';
import { threadEnv } from '../threads.js';
import { trace } from '../trace.js';
import { exitLike, runChild } from './child.js';

export async function runUnder(command: string[], options: { max?: number }): Promise<never> {
  const client = JobClient.fromEnv();
  const tokens: Token[] = [];
  /** The slots CMD gets: its own job slot (implicit, or a token we waited for) and the rest. */
  const slotsFor = () => (client.implicitSlot ? 1 : 0) + client.granted + tokens.length;
  // A sibling under the same grant owns the implicit slot (turbo running
  // several tasks under one make recipe): wait for a token to run on, as make
  // waits for one before starting a job.
  if (!client.implicitSlot && client.connected) {
    const token = await client.acquire();
    if (token) tokens.push(token);
  }
  // With a grant from a `jobslot run` above us, pass it down and take no more.
  if (client.connected && client.granted === 0) {
    const max = options.max ?? client.jobs ?? availableParallelism();
    while (slotsFor() < max) {
      const token = client.tryAcquire();
      if (!token) break;
      tokens.push(token);
    }
  }
  const slots = Math.max(1, slotsFor());
  const held = slots - 1;
  const env: NodeJS.ProcessEnv = { ...process.env, ...threadEnv(slots) };
  // V8's own helper threads (GC, compilation) in every node process CMD starts:
  // also sized to the slots, unless the user chose a size.
  if (!/--v8-pool-size/.test(env.NODE_OPTIONS ?? '')) {
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : ''}--v8-pool-size=${slots}`;
  }
  delete env[GRANT_VARIABLE];
  // Granted even when held is 0: CMD's client then knows the implicit slot is
  // the one we count here (it may still take tokens of its own: none were granted).
  const grant = createGrant(held);
  env[GRANT_VARIABLE] = grant.value;

  // node marks inherited fds close-on-exec, so a pipe jobserver would not
  // reach CMD's node grandchildren (npm -> node). Name it by a path instead:
  // /proc/<our pid>/fd/R opens the same pipe for as long as we live.
  const found = makeflagsFromEnv(process.env);
  if (client.style === 'pipe' && process.platform === 'linux' && found?.flags.auth?.kind === 'pipe') {
    const auth = `fifo:/proc/${process.pid}/fd/${found.flags.auth.read}`;
    for (const variable of MAKEFLAGS_VARIABLES) {
      const value = env[variable];
      if (value?.includes('--jobserver-')) env[variable] = replaceJobserverAuth(value, auth);
    }
  }

  // Until CMD's own jobslot client claims the grant, these slots are counted here.
  trace('slot-start', { active: slots, pending: 0, label: 'jobslot run' });
  const result = await runChild(command, { env });
  trace('slot-end', { active: 0, pending: 0, label: 'jobslot run' });
  for (const token of tokens) token.release();
  grant.cleanup();
  client.close();
  return exitLike(result);
}
