import { createRequire } from 'node:module';
import type { Limiter } from '@jobslot/core';
import { isLimiter } from '@jobslot/core/plugin';
import type { Schema } from 'schema-utils';

/** Options of {@link JobslotPlugin}. Every part is on by default except `moduleBuilds`. */
export interface JobslotPluginOptions {
  /**
   * Size the worker pools of minimizer-webpack-plugin (webpack's default
   * minimizer since 5.108), terser-webpack-plugin, css-minimizer-webpack-plugin
   * and other plugins of that family to the job slots this process holds.
   * Covers the default minimizer webpack adds itself, instances written into
   * `optimization.minimizer` or `plugins`, and instances a function entry of
   * `optimization.minimizer` creates (for those three packages).
   * @defaultValue `true`
   */
  minimizers?: boolean;

  /**
   * Size thread-loader pools (its `workers` option) to the slots held when a
   * compilation starts building modules; the extra slots go back when module
   * building ends.
   * @defaultValue `true`
   */
  threadLoader?: boolean;

  /**
   * Run each module build (its loaders) in a job slot: at most `1 + extra`
   * builds at once, where the extra slots are tokens taken while builds wait.
   * Worth it only when loaders push CPU work off the main thread
   * (esbuild-loader, swc-loader, sass-embedded, a loader using the libuv
   * threadpool); webpack's own work and most loaders run on the main thread,
   * which the process's own slot already pays for. See the README for the
   * measurement behind the default. webpack only: rspack builds modules in
   * its native core (there it warns once and does nothing).
   * @defaultValue `false`
   */
  moduleBuilds?: boolean;

  /**
   * On rspack: warn once when it runs under a jobserver but its native thread
   * pools (tokio, rayon) were not sized by `jobslot run`, which sets their
   * variables before the process starts: tokio's pool is made before the
   * config loads, so no plugin can size it.
   * @defaultValue `true`
   */
  warnNativeThreads?: boolean;

  /**
   * The limiter to take slots from. Every plugin in a process should share one
   * so the process never counts its own implicit slot twice.
   * @defaultValue `sharedLimiter()` from `@jobslot/core`
   */
  limiter?: Limiter;
}

/** The options with their defaults filled in. */
export type ResolvedOptions = Required<Omit<JobslotPluginOptions, 'limiter'>> & { limiter: Limiter | undefined };

/** The options' schema, checked in the constructor as webpack's own plugins do (a typo is an error, not ignored). */
export const schema: Schema = {
  title: 'JobslotPlugin options',
  type: 'object',
  additionalProperties: false,
  properties: {
    minimizers: { type: 'boolean', description: "Size the minimizers' worker pools to the job slots held (default true)." },
    threadLoader: { type: 'boolean', description: "Size thread-loader's pools to the job slots held (default true)." },
    moduleBuilds: { type: 'boolean', description: 'Run each module build in a job slot (default false; webpack only).' },
    warnNativeThreads: { type: 'boolean', description: "On rspack: warn when its native pools were not sized by `jobslot run` (default true)." },
    // The shape is checked here; that it is a limiter, by core's one check (resolveOptions).
    limiter: { description: "A limiter from @jobslot/core's createLimiter() or sharedLimiter().", type: 'object' },
  },
};

/**
 * Whether `options` plainly matches the schema: an object whose every key the
 * schema lists, each value of the type it says (read from `schema`, so the two
 * cannot drift apart). The common case, decided without schema-utils: loading
 * it and compiling the schema with ajv took about 0.1 s of CPU in every build
 * (webpack itself checks a valid config with precompiled functions and loads
 * ajv only for an invalid one; rspack never loads it), most of the plugin's
 * cost in a build alone.
 */
function plainlyValid(options: unknown): boolean {
  if (!isPlainObject(options)) return false;
  const properties = schema.properties as Record<string, { type: 'boolean' | 'object' }>;
  for (const [key, value] of Object.entries(options)) {
    const type = Object.hasOwn(properties, key) ? properties[key]!.type : undefined;
    if (type === 'boolean' ? typeof value !== 'boolean' : type !== 'object' || !isPlainObject(value)) return false;
  }
  return true;
}

const isPlainObject = (value: unknown): value is object => typeof value === 'object' && value !== null && !Array.isArray(value);

export function resolveOptions(options: JobslotPluginOptions = {}): ResolvedOptions {
  // Anything else gets schema-utils' own check and message, as webpack's plugins give.
  if (!plainlyValid(options)) {
    const { validate } = createRequire(import.meta.url)('schema-utils') as typeof import('schema-utils');
    validate(schema, options, { name: 'JobslotPlugin', baseDataPath: 'options' });
  }
  if (options.limiter !== undefined && !isLimiter(options.limiter)) {
    throw new TypeError("Invalid options object. JobslotPlugin has been initialized using an options object that does not match the API schema.\n - options.limiter should be a limiter from @jobslot/core's createLimiter() or sharedLimiter().");
  }
  return {
    minimizers: options.minimizers ?? true,
    threadLoader: options.threadLoader ?? true,
    moduleBuilds: options.moduleBuilds ?? false,
    warnNativeThreads: options.warnNativeThreads ?? true,
    limiter: options.limiter,
  };
}
