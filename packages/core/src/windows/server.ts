// A jobserver of our own on Windows, as GNU make for Windows runs one: a named
// semaphore holding N-1 units (the Nth job is the implicit slot of the command
// it serves), passed as `--jobserver-auth=NAME`. Windows has no pipe or fifo
// to hand on, and make, cargo's jobserver crate and our client all open a
// semaphore by name. At the end it counts what came back. A leaf, like
// server.ts (its POSIX counterpart): `jobslot -j N` serves it on Windows,
// and `jobslot run` hands its command one as a sub-pool (cli/run-windows.ts),
// holding the outer tokens its units stand for.
import { type Kernel32, loadKernel32, WAIT_OBJECT_0 } from '../ffi/kernel32.js';
import { POOL_VARIABLE } from '../backend.js';
import type { Jobserver } from '../posix/server.js';
import { formatPoolHint } from './pool-hint.js';

/**
 * What `jobslot -j` and `jobslot run` need of server.ts's POSIX jobserver, so
 * they serve either the same way. (A semaphore's size is fixed when it is
 * made: `jobslot run`'s sub-pool on Windows neither grows nor shrinks.)
 */
export interface SemaphoreJobserver extends Pick<Jobserver, 'jobs' | 'tokens' | 'makeflags' | 'stdio' | 'env' | 'close' | 'free'> {
  readonly style: 'sem';
  /** The semaphore's name: `jobslot_semaphore_<pid>`. `stdio` is empty: it is found by name. */
  readonly name: string;
}

export interface SemaphoreJobserverOptions {
  /** The -j it says in MAKEFLAGS. */
  jobs: number;
  /** Units it starts with, and its maximum (default jobs - 1; `jobslot run`: the tokens it took from above). */
  tokens?: number;
}

export function createSemaphoreJobserver(options: SemaphoreJobserverOptions, kernel32?: Kernel32): SemaphoreJobserver {
  const jobs = Math.floor(options.jobs);
  if (!(jobs >= 1)) throw new RangeError(`jobs must be at least 1, got ${options.jobs}`);
  const tokens = Math.floor(options.tokens ?? jobs - 1);
  if (!(tokens >= 0 && tokens < jobs)) throw new RangeError(`tokens must be from 0 to jobs - 1 (${jobs - 1}), got ${options.tokens}`);
  const k32 = kernel32 ?? loadKernel32();

  // A name no one else uses: CreateSemaphoreW hands back whatever object
  // already has the name, and sharing someone else's pool would mix the counts.
  let name = '';
  let handle: unknown;
  for (let attempt = 0; !handle; attempt++) {
    if (attempt === 100) throw new Error(`cannot create a jobserver semaphore: every name up to ${name} is taken`);
    name = attempt === 0 ? `jobslot_semaphore_${process.pid}` : `jobslot_semaphore_${process.pid}_${attempt}`;
    // At most `tokens` units: a client that gives back more than it took gets
    // an error instead of growing the pool. (The maximum must be at least 1.)
    const created = k32.createSemaphore(name, tokens, Math.max(tokens, 1));
    if (!created.handle) throw new Error(`cannot create the jobserver semaphore ${name} (error ${k32.lastError()})`);
    if (created.existed) k32.close(created.handle);
    else handle = created.handle;
  }
  const makeflags = ` -j${jobs} --jobserver-auth=${name}`;

  let closed: { returned: number; lost: number; extra: number } | undefined;
  return {
    style: 'sem',
    jobs,
    tokens,
    name,
    makeflags,
    stdio: [],
    env(base = process.env) {
      // JOBSLOT_POOL: jobslot clients beneath with no make between share the one implicit slot (pool-hint.ts).
      const env: NodeJS.ProcessEnv = { ...base, MAKEFLAGS: makeflags, [POOL_VARIABLE]: formatPoolHint(process.pid, name) };
      delete env.MFLAGS;
      delete env.CARGO_MAKEFLAGS;
      return env;
    },
    free() {
      if (closed) return 0;
      // Unreadable (an ntdll without it): say none is out, rather than invent a peak.
      return k32.free(handle) ?? tokens;
    },
    close() {
      if (closed) return closed;
      let returned = 0;
      while (returned < jobs && k32.wait(handle, 0) === WAIT_OBJECT_0) returned++;
      k32.close(handle);
      // The semaphore's maximum is `tokens` (1 when that is 0): only with
      // none served can one more than was handed out come back.
      closed = { returned, lost: Math.max(0, tokens - returned), extra: Math.max(0, returned - tokens) };
      return closed;
    },
  };
}
