// Starts esbuild's Go service with GOMAXPROCS sized to the job slots this
// process holds, and keeps those slots for as long as the service lives.
//
// Why this shape: esbuild runs every build of a process in one long-lived Go
// service, started on the first API call, and Go reads GOMAXPROCS once, when
// it starts. The thread count cannot follow the slots build by build, so the
// slots have to follow the service: take them without waiting (a process that
// waits for more tokens while holding some can deadlock with another doing the
// same), start the service with GOMAXPROCS = slots taken, give them back when the
// service stops. This is what `jobslot run` does for a whole command, done
// lazily, in-process, for the one child that needs it.
import { threadEnv, type Limiter, type Reservation } from '@jobslot/core';
import { esbuildServiceChildren } from './children.js';
import { withEnv } from './env.js';

/** The parts of the esbuild module this package calls. */
export interface EsbuildModule {
  build: (...args: never[]) => unknown;
  formatMessages(messages: [], options: { kind: 'error' | 'warning' }): Promise<string[]>;
  stop(): Promise<void> | void;
}

/** How esbuild's service was started, as far as this package knows. */
export interface ServiceState {
  /** GOMAXPROCS the service was started with; undefined when it was not started here (see `reason`). */
  readonly threads: number | undefined;
  /** Job slots held for the service (the process's own slot, granted slots, tokens). 0 when unsized. */
  readonly slots: number;
  /** Why the service was not sized, when `threads` is undefined. */
  readonly reason: string | undefined;
  /** Pid of the service process, where it could be seen (Linux). */
  readonly pid: number | undefined;
}

interface ServiceRecord {
  /** What callers see: frozen, and the identity plugins compare. */
  state: ServiceState;
  users: number;
  esbuild: EsbuildModule;
  reservation: Reservation | undefined;
  onExit: (() => void) | undefined;
}

// esbuild's service is one per esbuild module instance, so the record of how it
// was started is too: kept process-wide (and shared by this package's ESM and
// CJS copies, like core's shared client), keyed by that instance's `build`.
const KEY = Symbol.for('jobslot.esbuild-plugin.services');
function registry(): WeakMap<object, ServiceRecord> {
  const g = globalThis as Record<symbol, unknown>;
  return ((g[KEY] as WeakMap<object, ServiceRecord> | undefined) ??= new WeakMap());
}

/** The record for `esbuild`'s service, if this package has seen it start. */
export function serviceState(esbuild: Pick<EsbuildModule, 'build'>): ServiceState | undefined {
  return registry().get(esbuild.build)?.state;
}

export interface ServiceLease {
  readonly state: ServiceState;
  /** Drops this user; the last one stops the service and gives its slots back. Idempotent. */
  release(): void;
}

/**
 * Makes sure `esbuild`'s service runs, sized to the slots `limiter` can take now,
 * and registers one more user of it. A service that is already running (this
 * package started it, or something else did) is shared as it is.
 */
export function leaseService(
  esbuild: EsbuildModule,
  options: { limiter: Limiter; maxThreads: number; onWarning: (message: string) => void },
): ServiceLease {
  const services = registry();
  let record = services.get(esbuild.build);
  if (!record) {
    record = startService(esbuild, options);
    services.set(esbuild.build, record);
  }
  record.users++;
  const owned = record;
  let released = false;
  return {
    state: owned.state,
    release() {
      if (released) return;
      released = true;
      if (--owned.users > 0) return;
      services.delete(esbuild.build);
      if (owned.state.threads !== undefined) {
        // Stop first: once the tokens are back, the service must not be able to run a build.
        void Promise.resolve(owned.esbuild.stop()).catch(() => {});
      }
      if (owned.onExit) process.off('exit', owned.onExit);
      owned.reservation?.release();
    },
  };
}

function startService(
  esbuild: EsbuildModule,
  options: { limiter: Limiter; maxThreads: number; onWarning: (message: string) => void },
): ServiceRecord {
  const unsized = (reason: string): ServiceRecord => ({
    state: Object.freeze({ threads: undefined, slots: 0, reason, pid: undefined }),
    users: 0,
    esbuild,
    reservation: undefined,
    onExit: undefined,
  });
  // No jobserver and no grant: nothing to share, so esbuild keeps its own defaults.
  if (!options.limiter.limited) return unsized(options.limiter.client.reason ?? 'no jobserver');

  const before = esbuildServiceChildren();
  if (before && before.length > 0) {
    const reason = 'esbuild was already running when the jobslot plugin was created, so its thread count could not be set';
    options.onWarning(
      `${reason}. Create the plugin before the first esbuild call in the process, or run the script under \`jobslot run\`.`,
    );
    return unsized(reason);
  }

  // tryReserve counts every slot it takes, the process's own (implicit) slot
  // included when no task of this process holds it, so the service's threads are
  // exactly the slots reserved. With none free at all (other tasks here hold them
  // all), Go still needs one thread: it shares a slot held by this process.
  const reservation = options.limiter.tryReserve(options.maxThreads);
  const threads = Math.max(1, reservation.slots);
  try {
    withEnv(threadEnv(threads), () => {
      // Any async API call starts the service synchronously; this one does no work.
      void esbuild.formatMessages([], { kind: 'error' }).catch(() => {});
    });
  } catch (error) {
    reservation.release();
    throw error;
  }
  const after = esbuildServiceChildren();
  const pid = after?.find((p) => !before?.includes(p));
  if (after && pid === undefined) {
    // Where /proc can tell, it says no service started: another copy of esbuild, or a
    // service started some way this package cannot see. Do not hold slots for nothing.
    reservation.release();
    const reason = 'no esbuild service process appeared when starting it';
    options.onWarning(`${reason}; esbuild keeps its default thread count.`);
    return unsized(reason);
  }
  // Most scripts never close the plugin: they build and exit. Core gives the
  // tokens back at exit either way; ending the slots here as well keeps the
  // trace honest (a slot with no end would count as running forever), and
  // stopping the service now means it cannot go on using CPU without slots:
  // left alone, a service whose parent died mid-build runs on for about a second.
  const onExit = () => {
    void Promise.resolve(esbuild.stop()).catch(() => {});
    reservation.release();
  };
  process.on('exit', onExit);
  return {
    state: Object.freeze({ threads, slots: reservation.slots, reason: undefined, pid }),
    users: 0,
    esbuild,
    reservation,
    onExit,
  };
}
