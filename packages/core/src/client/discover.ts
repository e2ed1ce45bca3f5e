// Discovery: finding the jobserver this process was given and opening it, or
// the typed error that says why not (and in which variable), as
// jobserver-rs's `from_env_ext` returns its error. Nothing here owns anything
// process-wide: the client (client.ts) takes what this finds and owns the
// process's share of it (the implicit slot, exit handlers, the trace).
import { POOL_VARIABLE, type Backend, type PoolHint } from '../backend.js';
import { JobserverError } from '../errors.js';
import { droppedJobserver } from '../dropped-env.js';
import { makeflagsFromEnv, parseMakeflags, type JobserverAuth, type Makeflags } from '../makeflags.js';
import type { FromEnvOptions } from '../types.js';
import { daemonSocketFor } from './daemon-endpoint.js';
import { linkToDaemon } from './daemon-link.js';
import { platform } from './platform.js';

export type Discovery =
  | {
      ok: true;
      /** The flags the jobserver was named in, and that variable (MAKEFLAGS, MFLAGS, CARGO_MAKEFLAGS). */
      flags: Makeflags;
      variable: string;
      backend: Backend;
      /** The `jobslot run` pool this jobserver is, whose implicit slot its jobslot clients share. */
      pool: PoolHint | undefined;
      /** Worth one warning though the jobserver is usable (we chose the pool over MAKEFLAGS'). */
      notice?: string;
    }
  | {
      ok: false;
      /** undefined: no make variable at all. */
      flags: Makeflags | undefined;
      variable: string | undefined;
      /** Why there is no usable jobserver; `error.variable` says where it was named. */
      error: JobserverError;
      /** Worth the one warning: a jobserver was named but cannot be used. */
      warn: boolean;
    };

function openBackend(auth: JobserverAuth, waitMode: FromEnvOptions['waitMode']): Backend {
  return platform.open(auth, waitMode);
}

/** Finds the jobserver in `env` and opens it, or says why not. */
export function discoverJobserver(env: Record<string, string | undefined>, waitMode: FromEnvOptions['waitMode']): Discovery {
  const found = makeflagsFromEnv(env);
  const fail = (kind: JobserverError['kind'], reason: string, warn: boolean): Discovery => ({
    ok: false,
    flags: found?.flags,
    variable: found?.variable,
    error: new JobserverError(kind, reason, found?.variable),
    warn,
  });
  if (!found || found.flags.rawAuth === undefined) {
    // A task runner (turbo) may have dropped the variables on the way: see dropped-env.ts.
    const dropped = found ? undefined : droppedJobserver(env);
    if (dropped?.kind === 'lost') return fail('no-jobserver', dropped.message, true);
    if (dropped?.kind === 'pool') {
      try {
        const backend = openBackend({ kind: 'fifo', path: dropped.hint.path }, waitMode);
        const flags = { ...parseMakeflags(dropped.jobs ? `-j${dropped.jobs}` : ''), auth: { kind: 'fifo' as const, path: dropped.hint.path } };
        return { ok: true, flags, variable: `${POOL_VARIABLE} (in ${dropped.runner}'s environment)`, backend, pool: dropped.hint };
      } catch {
        // fall through: as if nothing was found
      }
    }
    return fail('no-jobserver', found ? `${found.variable} names no jobserver (make -j1, or not run by make -j)` : 'no MAKEFLAGS: not run by make', false);
  }
  const { flags, variable } = found;
  if (!flags.auth) {
    if (flags.authError === 'negative-fd') {
      return fail('negative-fd', `${variable} passes the jobserver as ${flags.rawAuth}: make is not sharing its jobserver with this recipe (mark the recipe line with '+')`, true);
    }
    // On Windows any fifo is unusable, whatever its path looks like: say that, not that the path is odd.
    if (flags.authError === 'unsafe-path' && process.platform === 'win32') {
      return fail('unsupported', 'a fifo jobserver is not usable on Windows', true);
    }
    if (flags.authError === 'unsafe-path') {
      return fail(
        'unsafe-path',
        `${variable} names the jobserver fifo ${JSON.stringify(flags.rawAuth!.slice('fifo:'.length))}, which is not an absolute path free of control characters (make names an absolute one): ignoring it`,
        true,
      );
    }
    return fail('cannot-parse', `cannot parse --jobserver-auth=${flags.rawAuth} in ${variable}`, true);
  }
  const pools = platform.pools;
  const hint = pools?.parse(env[POOL_VARIABLE]);
  let viaHint = false;
  let backend: Backend;
  try {
    try {
      backend = openBackend(flags.auth, waitMode);
    } catch (error) {
      // The descriptors did not survive the way here (node under `npm run`
      // closes them): a `jobslot run` above us also names its pool by path.
      const usable = hint && flags.auth.kind === 'pipe' && error instanceof JobserverError && pools!.check(hint) === undefined;
      if (!usable) throw error;
      backend = openBackend({ kind: 'fifo', path: hint.path }, waitMode);
      viaHint = true;
    }
  } catch (error) {
    if (error instanceof JobserverError) return fail(error.kind, error.message, true);
    return fail('no-ffi', `cannot use the jobserver: ${(error as Error).message}`, true);
  }
  const named = flags.auth.kind === 'pipe' ? flags.auth.read : flags.auth.kind === 'fifo' ? flags.auth.path : flags.auth.name;
  let isOurPool = hint && (viaHint || pools!.isPool(hint, named));
  let notice: string | undefined;
  // MAKEFLAGS' descriptors are open, but not the pool of the `jobslot run`
  // above, and nothing that hands each job a slot (make, cargo, ninja) runs
  // between: some command put a pipe of its own there. The run's pool is our
  // budget (reading the other pipe, every sibling took the implicit slot for
  // its own). A make between us would have made its own jobserver on purpose.
  if (hint && !isOurPool && pools!.check(hint) === undefined && pools!.sharesImplicitSlot(hint)) {
    try {
      const pool = openBackend({ kind: 'fifo', path: hint.path }, waitMode);
      backend.close();
      backend = pool;
      viaHint = true;
      isOurPool = true;
      notice = `the jobserver ${variable} names (${flags.rawAuth}) is not the pool ${POOL_VARIABLE} names (${hint.path}, served by the jobslot run above, pid ${hint.pid}), and no make, cargo or ninja runs between: using that pool`;
    } catch {
      // keep the one MAKEFLAGS named
    }
  }
  // `jobslot serve`'s fifo: tell the daemon what we take, so it gets it back however we end.
  if (flags.auth.kind === 'fifo' && !viaHint) {
    const socket = daemonSocketFor(flags.auth.path);
    if (socket) backend = linkToDaemon(backend, socket);
  }
  return { ok: true, flags, variable, backend, pool: isOurPool ? hint : undefined, notice };
}
