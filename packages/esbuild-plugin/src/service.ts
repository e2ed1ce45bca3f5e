// esbuild's Go service and the job slots its builds hold.
//
// esbuild runs every build of a process in one long-lived Go service (one per
// esbuild module instance), started by the first API call, and Go reads
// GOMAXPROCS once, when it starts. So the threads cannot follow the slots
// build by build; instead the slots follow the threads while there is work:
//
// - every build in flight holds one slot of a sub-pool (core's, no base slot);
// - while any build is in flight, the pool holds at least GOMAXPROCS slots,
//   so the service's threads never outnumber the slots this process holds;
// - when no build is in flight, the pool holds nothing (an idle service uses
//   no CPU), and the next build may restart the service with a GOMAXPROCS
//   that fits the slots it can have then.
//
// The pool is a child of the limiter with a floor (core's pool.ts): builds
// borrow slots waiting, the threads' floor without waiting (grow(), tokens
// only): a process that waits for more tokens while holding some can
// deadlock with another one doing the same. The first build of a batch
// (nothing in flight, nothing queued in the limiter) takes the free slots,
// up to the ceiling, before it waits for its own, so that the builds started
// with it find theirs in the pool and the service is sized to all of them.
import { createRequire } from 'node:module';
import type { Limiter, Slot } from '@jobslot/core';
import { childPool, onProcessExit, outsideHolds, processRecord, releaseOnce, withThreadEnv, type ChildPool } from '@jobslot/core/plugin';
import { esbuildServiceChildren, gomaxprocsOf, isChildAlive } from './children.js';

/** The parts of the esbuild module this package calls. */
export interface EsbuildModule {
  build: (...args: never[]) => unknown;
  formatMessages(messages: [], options: { kind: 'error' | 'warning' }): Promise<string[]>;
  stop(): Promise<void> | void;
}

/** A build's claim on the service: its slot, and a say in when the service may restart. */
export interface Lease {
  /** Ends the claim: the slot goes back to the pool (and the pool shrinks). Idempotent. */
  end(): void;
}

export class EsbuildService {
  private threadsValue: number | undefined;
  private pidValue: number | undefined;
  private startsValue = 0;
  /** Per limiter, the slots of builds and threads: core's sub-pool (no base; every slot borrowed). */
  private readonly pools = new Map<Limiter, ChildPool>();
  /** The pool whose floor keeps the service's threads in slots while builds are in flight. */
  private threadsPool: ChildPool | undefined;
  private inFlightValue = 0;
  /** Setups that a restart would break: plain esbuild.context()/build() with the plugin, contexts in watch/serve mode. */
  private pinsValue = 0;
  /** Contexts made through this package's `context()`: a restart costs them their incremental state. */
  private contextsValue = 0;
  private unregisterExit: (() => void) | undefined;

  constructor(readonly esbuild: EsbuildModule) {}

  /** What this package knows of it: GOMAXPROCS and pid (where it started it or /proc shows them), slots held, builds in flight, (re)starts. */
  get state() {
    return Object.freeze({
      threads: this.threads,
      pid: this.pidValue,
      slots: this.slotsHeld,
      inFlight: this.inFlightValue,
      starts: this.startsValue,
    });
  }

  /** Threads of the running service, if known; forgets a service that is gone. */
  private get threads(): number | undefined {
    if (this.pidValue !== undefined && !isChildAlive(this.pidValue)) {
      this.pidValue = undefined;
      this.threadsValue = undefined;
    }
    return this.threadsValue;
  }

  pin(): () => void {
    this.pinsValue++;
    return releaseOnce(() => this.pinsValue--);
  }

  trackContext(): () => void {
    this.contextsValue++;
    return releaseOnce(() => this.contextsValue--);
  }

  /**
   * For a call that is about to reach esbuild (this package's `build`,
   * `context`, `rebuild`): waits for a slot, then, if no build is in flight,
   * takes free tokens up to `ceiling` without waiting and, if the service runs
   * with another GOMAXPROCS (or is not running), starts it with GOMAXPROCS =
   * the slots now held (at most `ceiling`). Without `ceiling` (a build that
   * already runs on the service: a plain esbuild.build() with the plugin, a
   * watch-mode rebuild) it only tops up to the service's threads.
   */
  async begin(limiter: Limiter, ceiling?: number, signal?: AbortSignal): Promise<Lease> {
    const pool = this.poolOf(limiter);
    const first = ceiling !== undefined && this.inFlightValue === 0 && limiter.pending === 0;
    if (first) this.takeFree(pool, ceiling);
    let slot: Slot;
    try {
      slot = await pool.acquire({ signal });
    } catch (error) {
      // Aborted while waiting: what takeFree() kept for the threads goes back unless builds are in flight.
      if (first) this.trim();
      throw error;
    }
    // From here on, synchronous: nothing else can start or stop the service in between.
    if (++this.inFlightValue === 1 && ceiling !== undefined) this.size(limiter, ceiling);
    else this.topUp(limiter, this.threads ?? 0);
    return this.lease(slot);
  }

  /**
   * A first build, nothing queued: takes the free slots (the process's own
   * first, then tokens; without waiting, up to `ceiling`) before it waits for
   * its own. Builds started with it (`Promise.all([build(a), build(b), ...])`)
   * then find their slots in the pool at once, and size() counts them all. Left
   * to borrow each on its own, the first build's slot came first, its
   * siblings' (the free token) only after size() had run, whose grow() found
   * nothing left: GOMAXPROCS 1 with 2 slots free (make -j2, a script alone).
   */
  private takeFree(pool: ChildPool, ceiling: number): void {
    this.threadsPool = pool;
    // The floor first: grow() gives back at once what it takes above it.
    pool.keep(ceiling);
    pool.grow(ceiling, true);
  }

  /** A build's claim: without `slot`, a build started inside a callback, in the callback's slot. */
  lease(slot?: Slot): Lease {
    if (!slot) this.inFlightValue++;
    return {
      end: releaseOnce(() => {
        this.inFlightValue--;
        // The floor first: with no build in flight, the slot and the threads' extras go back together.
        this.trim();
        slot?.release();
      }),
    };
  }

  /** The builds' and threads' slots of `limiter`: a free one at once, else one borrowed (waiting) from the limiter. */
  private poolOf(limiter: Limiter): ChildPool {
    let pool = this.pools.get(limiter);
    if (!pool) this.pools.set(limiter, (pool = childPool(limiter, { base: false })));
    return pool;
  }

  /** Slots held now for builds and threads, across limiters. */
  private get slotsHeld(): number {
    let held = 0;
    for (const pool of this.pools.values()) held += pool.capacity;
    return held;
  }

  /** While builds are in flight, the slots held stay at least the service's threads; after, only what builds use. */
  private trim(): void {
    for (const pool of this.pools.values()) if (pool !== this.threadsPool) pool.keep(0);
    const pool = this.threadsPool;
    if (!pool) return;
    const others = this.slotsHeld - pool.capacity;
    pool.keep(this.inFlightValue > 0 ? Math.max(0, (this.threads ?? 0) - others) : 0);
  }

  /**
   * Takes free tokens, without waiting, until `target` slots are held (a build
   * waiting for a slot gets one of them first; the threads share it all the same).
   */
  private topUp(limiter: Limiter, target: number): void {
    const pool = this.poolOf(limiter);
    this.threadsPool = pool;
    const others = this.slotsHeld - pool.capacity;
    pool.keep(Math.max(0, target - others));
    pool.grow(target - others);
  }

  /** The first build in flight: sizes the pool and, where it may, the service. */
  private size(limiter: Limiter, ceiling: number): void {
    this.topUp(limiter, ceiling);
    // Builds already holding slots may outnumber the ceiling; the threads never do.
    const want = Math.min(this.slotsHeld, ceiling);
    const threads = this.threads;
    // No restart: when the threads fit; when more would help but a restart
    // costs idle contexts their incremental state; when a setup would die of
    // it (a plain esbuild.context with this plugin, a context in watch or serve mode).
    const keep = threads === want || (threads !== undefined && want > threads && this.contextsValue > 0) || this.pinsValue > 0;
    if (!keep) this.start(want);
    this.trim();
  }

  /** (Re)starts the service with GOMAXPROCS = `threads`. */
  private start(threads: number): void {
    // Whatever runs now (a service this package did not start, or one with
    // another GOMAXPROCS) goes: no build this package knows of is using it.
    void Promise.resolve(this.esbuild.stop()).catch(() => {});
    const before = esbuildServiceChildren();
    outsideHolds(() =>
      withThreadEnv(threads, () => {
        // Any async API call starts the service synchronously; this one does no work.
        void this.esbuild.formatMessages([], { kind: 'error' }).catch(() => {});
      }),
    );
    const after = esbuildServiceChildren();
    const pid = after?.find((p) => !before?.includes(p));
    this.startsValue++;
    this.pidValue = pid;
    // Where /proc can tell and shows no new service (another copy of esbuild, say), say nothing about threads.
    this.threadsValue = after && pid === undefined ? undefined : pid !== undefined ? (gomaxprocsOf(pid) ?? threads) : threads;
    // A service whose parent dies mid-build runs on for about a second without
    // slots: stop it when the process goes (exit, SIGINT, SIGTERM, SIGHUP).
    this.unregisterExit ??= onProcessExit(() => {
      void Promise.resolve(this.esbuild.stop()).catch(() => {});
    });
  }
}

// One record per esbuild module instance, because esbuild has one service per
// instance. Process-wide (and shared by this package's ESM and CJS copies, like
// core's shared client), keyed by that instance's `build` function.
export function serviceFor(esbuild: EsbuildModule): EsbuildService {
  const services = processRecord('esbuild-plugin.services', () => new WeakMap<object, EsbuildService>());
  let service = services.get(esbuild.build);
  if (!service) {
    service = new EsbuildService(esbuild);
    services.set(esbuild.build, service);
  }
  return service;
}

export function defaultEsbuild(): EsbuildModule {
  // The peer dependency, as the script's own `import 'esbuild'` would find it.
  return createRequire(import.meta.url)('esbuild') as EsbuildModule;
}
