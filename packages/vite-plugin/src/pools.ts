// vite's own worker pools (terser, and the sass/less/stylus workers) are sized
// once, from the config, before any hook runs. Size them to the slots to be
// had then: the implicit one plus the tokens free in the jobserver (under
// `jobslot run`, those it put in its sub-pool for this process).
// The pools still only work while a governed hook (renderChunk for terser,
// transform for CSS) holds a slot; sizing them just avoids threads that could
// never be busy. Never above what vite would choose by itself: its pools default
// to availableParallelism() - 1 (at least 1), and slots are a ceiling, not a target.
import { availableParallelism } from 'node:os';

interface PoolUserConfig {
  build?: { terserOptions?: { maxWorkers?: number } };
  css?: { preprocessorMaxWorkers?: number | true };
}

/** The size vite's WorkerWithFallback gives a pool whose `max` is unset. */
export function viteDefaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * The config to merge in: pool sizes the user left to vite become
 * min(slots, vite's default). `cssWorkersByDefault`: whether this vite starts
 * preprocessor workers when `css.preprocessorMaxWorkers` is unset (vite 7 and
 * later: `true`; vite 5 and 6: 0, the main thread, which is left alone).
 */
export function poolConfig(user: PoolUserConfig, slots: number, cssWorkersByDefault: boolean): PoolUserConfig {
  const out: PoolUserConfig = {};
  const size = Math.min(Math.max(1, Math.floor(slots)), viteDefaultWorkers());
  if (user.build?.terserOptions?.maxWorkers === undefined) out.build = { terserOptions: { maxWorkers: size } };
  // `true` means "as many as the machine has"; 0 (main thread only) and a number are kept.
  const css = user.css?.preprocessorMaxWorkers;
  if (css === true || (css === undefined && cssWorkersByDefault)) out.css = { preprocessorMaxWorkers: size };
  return out;
}
