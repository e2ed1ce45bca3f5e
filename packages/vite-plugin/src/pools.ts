// vite's own worker pools (terser, and the sass/less/stylus workers) are sized
// once, from the config, before any hook runs. Size them to the slots this
// process holds then: under `jobslot run` that is 1 + the served slots, the
// most the limiter will ever let run here; otherwise the one implicit slot.
// The pools still only work while a governed hook (renderChunk for terser,
// transform for CSS) holds a slot; sizing them just avoids threads that could
// never be busy.

interface PoolUserConfig {
  build?: { terserOptions?: { maxWorkers?: number } };
  css?: { preprocessorMaxWorkers?: number | true };
}

/** The config to merge in: pool sizes the user left unset become `slots`. */
export function poolConfig(user: PoolUserConfig, slots: number): PoolUserConfig {
  const out: PoolUserConfig = {};
  const size = Math.max(1, Math.floor(slots));
  if (user.build?.terserOptions?.maxWorkers === undefined) out.build = { terserOptions: { maxWorkers: size } };
  // `true` means "as many as the machine has"; 0 (main thread only) and a number are kept.
  const css = user.css?.preprocessorMaxWorkers;
  if (css === undefined || css === true) out.css = { preprocessorMaxWorkers: size };
  return out;
}
