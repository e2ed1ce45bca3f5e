// Runs one plugin hook call in a slot of the limiter: `limiter.run()`, with
// the hook's `this` giving the slot back while it waits.
//
// 1. A hook that awaits `this.load()` or `this.resolve()` waits for other
//    modules' hooks. Holding a slot through that wait deadlocks as soon as the
//    slots run out (the awaited hook queues behind the one waiting for it), and
//    rolldown calls those nested hooks from Rust in a fresh async context, so
//    nesting by async context cannot see them. So the hook gives its slot back
//    while it waits there, and takes one again before it goes on, as make's
//    own jobs do: a job waiting is not a job running. That is core's
//    `hold.lendDuring()`, on the hook's current hold.
// 2. A hook that calls another governed hook directly (a plugin composing
//    others) runs it inline, in the slot it holds: core's `limiter.run()`
//    does that for any call made where a hold holds its slot.
// 3. A build that ends (buildEnd with an error) aborts the calls still
//    waiting for a slot, so nothing queued holds or takes a token afterwards.
// 4. A slot a call ends while none waits stays until the event loop turns
//    (warm.ts): the next call's, not a token written back and read again.
import { currentHold, type Hold, type Limiter } from '@jobslot/core';
import { warmRun } from './warm.js';

/** Context methods during which a hook gives its slot back. */
const WAITING_METHODS = new Set<PropertyKey>(['load', 'resolve']);

/**
 * The hook's `this`, with load/resolve giving the slot back while they wait.
 * A Proxy rather than a derived object: rolldown's contexts are class
 * instances, so methods are bound to the real context, never to the proxy.
 */
function contextFor(ctx: object, hold: Hold): object {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(ctx, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // A Proxy must return frozen properties unchanged.
      const own = Object.getOwnPropertyDescriptor(target, prop);
      if (own && !own.configurable && !own.writable) return value;
      let fn = bound.get(prop);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        fn = WAITING_METHODS.has(prop)
          ? (...args: unknown[]) => hold.lendDuring(() => method.apply(target, args))
          : method.bind(target);
        bound.set(prop, fn);
      }
      return fn;
    },
    set(target, prop, value) {
      return Reflect.set(target, prop, value, target);
    },
  });
}

export type Hook = (this: unknown, ...args: unknown[]) => unknown;

/** Calls `hook` with `ctx` and `args` in a slot of `limiter`. `signal` aborts the wait for one. */
export function callInSlot(limiter: Limiter, hook: Hook, ctx: unknown, args: unknown[], signal?: AbortSignal): Promise<unknown> {
  return warmRun(limiter)(() => hook.apply(wrapContext(ctx, currentHold()), args), { signal });
}

function wrapContext(ctx: unknown, hold: Hold | undefined): unknown {
  return hold && typeof ctx === 'object' && ctx !== null ? contextFor(ctx, hold) : ctx;
}
