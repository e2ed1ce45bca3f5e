// The process's registry: named records, one per process however many copies
// of these packages it loads (ESM and CJS, or two versions), so all of it
// lives behind one globalThis key. A leaf: it knows no record's type; each
// module that keeps process-wide state (the implicit slot, the exit hooks,
// the wake-up signal, the current hold, the shared client, the plugins'
// records) names its own record and says whether a reset forgets it.

interface Entry {
  value: unknown;
  /** Forgotten by resetProcessState(), after `reset` ran. */
  resets: boolean;
  reset: ((value: unknown) => void) | undefined;
}

const KEY = Symbol.for('jobslot.registry');

function registry(): Map<string, Entry> {
  const g = globalThis as Record<symbol, Map<string, Entry> | undefined>;
  return (g[KEY] ??= new Map());
}

export interface RecordOptions<T> {
  /**
   * What a reset does before the record is forgotten (close what it holds).
   * A record without `reset` survives resets when `keep` is true (process
   * listeners, the async context store), else it is just forgotten.
   */
  reset?: (value: T) => void;
  /** The record lives as long as the process: resetProcessState() leaves it. Default: false. */
  keep?: boolean;
}

/**
 * The process's record named `name`, made by `create` on first use: one per
 * process whichever copy of a package asks.
 */
export function processRecord<T>(name: string, create: () => T, options: RecordOptions<T> = {}): T {
  const records = registry();
  let entry = records.get(name);
  if (!entry) {
    entry = { value: create(), resets: !options.keep, reset: options.reset as Entry['reset'] };
    records.set(name, entry);
  }
  return entry.value as T;
}

/**
 * For tests: runs each resettable record's reset (newest first) and then
 * forgets those records, so the next
 * use starts as a fresh process would. Records kept for the process's life
 * (exit listeners, the hold store) stay.
 */
export function resetProcessState(): void {
  const records = registry();
  const resettable = [...records].filter(([, entry]) => entry.resets).reverse();
  // Every reset first, then forget: a closing limiter gives its slots back to
  // the implicit slot's record, which must still be the one it took them from.
  for (const [, entry] of resettable) entry.reset?.(entry.value);
  for (const [name] of resettable) records.delete(name);
}
