// A minifier's renderChunk calls as one pass of its own worker pool.
//
// @rollup/plugin-terser (and rollup-plugin-terser before it) starts a worker
// pool on its first renderChunk call, sized by os.cpus(), queues every chunk
// in it, and closes the pool the moment no call is left in flight. Governed
// one call per slot, a build holding one slot (a recipe beside others under
// make -j2) ran its chunks one after another, each on a fresh worker: ten
// chunks, ten workers, each loading terser and compiling it cold
// (bench/real charts-rollup beside a busy core: 7.6 CPU-s hand-pinned, 10.5
// with jobslot). So such a plugin's calls run as one pass: the first call
// waits for a slot, the calls that arrive before the event loop turns are
// counted, extra slots are taken without waiting (up to one per call), and
// every call of the pass enters the plugin at once while os.cpus() says the
// pass's slots, which is what the plugin sizes its pool by. The slots go back
// when the last call of the pass ends. The pool does not grow within a pass
// (it is sized once, as the plugin sizes it); the next pass sizes it again.
//
// Wherever such a plugin sits (vite's `plugins`, vite's and rollup's
// `output.plugins`, an input plugin of rollup or rolldown), its hooks run
// through one runner per plugin object (hookRunners), so its calls share its
// passes; every other plugin's calls take a slot each (gate.ts).
import os from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
import type { Limiter, Reservation } from '@jobslot/core';
import { oncePerProcess } from '@jobslot/core/plugin';
import { callInSlot } from './gate.js';
import type { PluginLike, Runner } from './wrap.js';

/** Plugins (by name) whose renderChunk feeds a worker pool sized by os.cpus() that closes when idle. */
export const POOLED_RENDERERS: ReadonlySet<string> = new Set(['terser']);

/**
 * The runner for each governed plugin's hooks: a pooled renderer's calls as
 * passes (one runner per plugin object), any other's one slot per call.
 * `signal(ctx)` is the session a call belongs to (a pass: its first call's),
 * aborted when that build ends or fails.
 */
export function hookRunners(getLimiter: () => Limiter, signal: (ctx: unknown) => AbortSignal | undefined): (p: PluginLike) => Runner {
  const byCall: Runner = (original, ctx, args) => callInSlot(getLimiter(), original, ctx, args, signal(ctx));
  const passes = new WeakMap<PluginLike, Runner>();
  return (p) => {
    if (typeof p.name !== 'string' || !POOLED_RENDERERS.has(p.name)) return byCall;
    let runner = passes.get(p);
    if (!runner) passes.set(p, (runner = passRunner(getLimiter, signal, p)));
    return runner;
  };
}

/** Runs `fn` with os.cpus() and os.availableParallelism() saying `n` (never more than they say now). */
export function withCpus<T>(n: number, fn: () => T): T {
  const { cpus, availableParallelism } = os;
  const real = cpus();
  if (n >= real.length) return fn();
  os.cpus = () => real.slice(0, n);
  os.availableParallelism = () => n;
  // ES modules' `import { cpus } from 'os'` see the change only after this.
  syncBuiltinESMExports();
  try {
    return fn();
  } finally {
    os.cpus = cpus;
    os.availableParallelism = availableParallelism;
    syncBuiltinESMExports();
  }
}

interface Pass {
  /** Calls of the pass not yet ended. */
  inFlight: number;
  /** Settles once the pass has its slots (rejects if the wait for the first was aborted). */
  ready: Promise<void>;
  slots: number;
  end(): void;
}

/**
 * A pool sized by the user (@rollup/plugin-terser's `maxWorkers`) is not
 * sized by os.cpus(), so not by the pass's slots: says so once, after a pass
 * whose pool outgrew its slots (the plugin counts the workers it started).
 */
function warnIfOversized(plugin: PluginLike | undefined, slots: number, ctx: unknown): void {
  const used = (plugin as { numOfWorkersUsed?: unknown } | undefined)?.numOfWorkersUsed;
  if (typeof used !== 'number' || used <= slots || !oncePerProcess('vite-plugin:pooled-renderer-size')) return;
  const message =
    `jobslot: ${plugin!.name} started ${used} workers on ${slots} job slot${slots === 1 ? '' : 's'}: its \`maxWorkers\` option sizes its pool whatever the slots. ` +
    'Leave `maxWorkers` unset, and its pool follows the slots this build holds.';
  const warn = (ctx as { warn?: unknown } | undefined)?.warn;
  if (typeof warn === 'function') warn.call(ctx, message);
  else process.stderr.write(`${message}\n`);
}

/** A runner for one pooled plugin's hooks: its calls share passes (above). `signal(ctx)` (of the pass's first call) aborts its wait for its first slot. */
export function passRunner(getLimiter: () => Limiter, signal: (ctx: unknown) => AbortSignal | undefined, plugin?: PluginLike): Runner {
  let current: Pass | undefined;
  const open = (ctx: unknown): Pass => {
    const limiter = getLimiter();
    const hold = limiter.hold({ signal: signal(ctx) });
    let reservation: Reservation | undefined;
    const pass: Pass = {
      inFlight: 0,
      slots: 1,
      ready: hold.ready
        // The other chunks' calls come within this turn of the event loop: count them first.
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => {
          if (hold.ended) return;
          reservation = limiter.tryReserve(Math.max(0, Math.min(pass.inFlight, os.cpus().length) - 1));
          pass.slots = 1 + reservation.slots;
        }),
      end() {
        reservation?.release();
        hold.end();
      },
    };
    return pass;
  };
  return async (original, ctx, args) => {
    const pass = (current ??= open(ctx));
    pass.inFlight++;
    try {
      await pass.ready;
      // Every call, not only the first: the plugin may have closed its pool and open another.
      return await withCpus(pass.slots, () => original.apply(ctx, args));
    } finally {
      if (--pass.inFlight === 0) {
        if (current === pass) current = undefined;
        pass.end();
        warnIfOversized(plugin, pass.slots, ctx);
      }
    }
  };
}
