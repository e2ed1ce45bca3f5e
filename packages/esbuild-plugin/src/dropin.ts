// `build` and `context`, drop-in for esbuild's: they take the build's slot,
// and free tokens for Go threads, before the call reaches esbuild, so that
// they can start (or restart) esbuild's service with GOMAXPROCS = the slots
// held. The plugin alone cannot: by the time a plugin runs, the service does.
import { currentHold } from '@jobslot/core';
import type { BuildContext, BuildOptions, BuildResult, Plugin, ServeOptions, ServeResult, WatchOptions } from 'esbuild';
import { internalOf, jobslot, type Handoff, type Internal } from './plugin.js';
import { serviceFor, type EsbuildService } from './service.js';

type Esbuild = typeof import('esbuild');
/** esbuild's own: options of exactly the BuildOptions shape. */ export type SameShape<Out, In extends Out> = In & { [Key in Exclude<keyof In, keyof Out>]: never };

interface Call {
  internal: Internal;
  esbuild: Esbuild;
  /** `options` with the given plugin in place of the jobslot one (or first, if there was none). */
  withPlugin(plugin: Plugin): BuildOptions;
  /** Whether the options need no change at all (no jobserver). */
  passThrough: boolean;
}

function prepare(options: BuildOptions): Call {
  const plugins = options.plugins ?? [];
  const given = plugins.find((p) => internalOf(p) !== undefined);
  const own = given ?? jobslot();
  const internal = internalOf(own)!;
  return {
    internal,
    esbuild: internal.resolved.esbuild() as unknown as Esbuild,
    withPlugin: (plugin) => ({ ...options, plugins: given ? plugins.map((p) => (p === given ? plugin : p)) : [plugin, ...plugins] }),
    passThrough: !internal.resolved.limiter().limited,
  };
}

/**
 * esbuild's `build`, in a job slot: waits for a slot; if no build is in flight,
 * takes free tokens (without waiting) and, if esbuild's service runs with
 * another GOMAXPROCS, restarts it with GOMAXPROCS = the slots held. Adds a
 * `jobslot()` plugin unless `options.plugins` has one (whose options it uses).
 * Without a jobserver it is esbuild's `build`, unchanged.
 */
export async function build<T extends BuildOptions>(options: SameShape<BuildOptions, T>): Promise<BuildResult<T>> {
  const call = prepare(options);
  if (call.passThrough) return call.esbuild.build(options) as Promise<BuildResult<T>>;
  // Inside a governed callback: the build runs in that callback's slot, on the running service.
  if (currentHold()) return call.esbuild.build(call.withPlugin(call.internal.derive({}))) as Promise<BuildResult<T>>;
  const lease = await serviceFor(call.esbuild).begin(call.internal.resolved.limiter(), call.internal.resolved.ceiling());
  const handoff: Handoff = { lease };
  try {
    return (await call.esbuild.build(call.withPlugin(call.internal.derive(handoff)))) as BuildResult<T>;
  } finally {
    // Only now: esbuild has sent the result, so nothing of this call needs the service any more.
    lease.end();
  }
}

/**
 * esbuild's `context`, sized like {@link build}: the service is (re)started
 * with GOMAXPROCS = the slots held before the context is made, and each
 * `rebuild()` does the same when no build is in flight. A restart ends the
 * contexts on the old service: each one made here is made again, on the new
 * service, at its next `rebuild()` (losing its incremental state, not its
 * options). Contexts in watch or serve mode keep the service as it is.
 * Without a jobserver it is esbuild's `context`, unchanged.
 */
export async function context<T extends BuildOptions>(options: SameShape<BuildOptions, T>): Promise<BuildContext<T>> {
  const call = prepare(options);
  if (call.passThrough) return call.esbuild.context(options) as Promise<BuildContext<T>>;
  const ctx = new JobslotContext<T>(call, serviceFor(call.esbuild));
  await ctx.open();
  return ctx;
}

class JobslotContext<T extends BuildOptions> implements BuildContext<T> {
  private readonly handoff: Handoff = {};
  private readonly plugin: Plugin;
  private inner: BuildContext<T> | undefined;
  /** The service start the inner context was made on. */
  private madeOn = -1;
  private unpin: (() => void) | undefined;
  private readonly untrack: () => void;

  constructor(
    private readonly call: Call,
    private readonly service: EsbuildService,
  ) {
    this.plugin = call.internal.derive(this.handoff);
    this.untrack = service.trackContext();
  }

  private async lease() {
    const { limiter, ceiling } = this.call.internal.resolved;
    return this.service.begin(limiter(), ceiling());
  }

  /** Makes the inner context if there is none on the running service. Call with a lease held. */
  private async current(): Promise<BuildContext<T>> {
    if (this.inner && this.madeOn === this.service.state.starts) return this.inner;
    // The old one died with its service; disposing it only tidies up on this side.
    await this.inner?.dispose().catch(() => {});
    this.inner = (await this.call.esbuild.context(this.call.withPlugin(this.plugin))) as BuildContext<T>;
    this.madeOn = this.service.state.starts;
    return this.inner;
  }

  async open(): Promise<void> {
    const lease = await this.lease();
    try {
      await this.current();
    } catch (error) {
      this.untrack();
      throw error;
    } finally {
      lease.end();
    }
  }

  async rebuild(): Promise<BuildResult<T>> {
    if (this.unpin) return this.inner!.rebuild(); // watch/serve: the plugin's onStart takes the slot
    const lease = await this.lease();
    try {
      const inner = await this.current();
      this.handoff.lease = lease;
      return await inner.rebuild();
    } finally {
      this.handoff.lease = undefined;
      lease.end();
    }
  }

  /** Watch mode: the service can no longer restart (it would end the watcher); each rebuild still waits for a slot. */
  async watch(options?: WatchOptions): Promise<void> {
    return (await this.pinned()).watch(options);
  }

  /** Serve mode: as watch. */
  async serve(options?: ServeOptions): Promise<ServeResult> {
    return (await this.pinned()).serve(options);
  }

  /** The inner context on a service sized now, pinned: nothing restarts the service under a watcher or server. */
  private async pinned(): Promise<BuildContext<T>> {
    if (this.unpin) return this.inner!;
    const lease = await this.lease();
    try {
      const inner = await this.current();
      this.unpin = this.service.pin();
      return inner;
    } finally {
      lease.end();
    }
  }

  cancel(): Promise<void> {
    return this.inner && this.madeOn === this.service.state.starts ? this.inner.cancel() : Promise.resolve();
  }

  async dispose(): Promise<void> {
    this.unpin?.();
    this.untrack();
    const inner = this.inner;
    this.inner = undefined;
    await inner?.dispose();
  }
}
