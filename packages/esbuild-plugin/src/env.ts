// A synchronous window in which process.env carries some extra variables.
//
// esbuild starts its Go service with child_process.spawn and no `env` option,
// so the service sees process.env as it is at that instant and never again.
// Setting variables only for the duration of that synchronous call sizes the
// service without leaking GOMAXPROCS into other children the script starts.

/** Runs `fn` with `vars` set in process.env, then puts every touched variable back as it was. */
export function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(vars)) {
    saved.set(key, process.env[key]);
    process.env[key] = value;
  }
  try {
    return fn();
  } finally {
    for (const [key, value] of saved) {
      // Assigning undefined would store the string "undefined".
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
