// The same governor for rollup 4 and rolldown 1 on their own (rollup.config.js,
// rolldown.config.js), without vite: `@jobslot/vite-plugin/rollup`.
//
// vite wraps the other plugins once its config is resolved; rollup and rolldown
// have no such hook, so this wraps them in `options` (input plugins) and
// `outputOptions` (output plugins, where minifiers such as
// @rollup/plugin-terser often sit). Both hooks run before the tool reads any
// hook off the plugin objects: rollup reads them at each call, rolldown once,
// when it hands the plugins to Rust, after these hooks. Nothing here imports
// vite, rollup or rolldown, not even their types: a rollup user need not have
// vite installed, nor a rolldown user rollup.
import { sharedLimiter, type Limiter } from '@jobslot/core';
import { nativeThreadsWarning } from '@jobslot/core/plugin';
import { resolveOptions, type JobslotViteOptions } from './options.js';
import { rollupEntryApply } from './misplaced.js';
import { eachPlugin } from './plugin-option.js';
import { Sessions } from './sessions.js';
import { governPlugin, NAME } from './wrap.js';
import { hookRunners } from './render-pass.js';

/** rollup and rolldown build one environment: one session, under this name. */
const BUILD = '';

export type { GovernedHook, JobslotViteOptions } from './options.js';

/** Options of the rollup/rolldown {@link jobslot}: those of the vite plugin but `workerPools`, which sizes vite's own pools. */
export type JobslotRollupOptions = Omit<JobslotViteOptions, 'workerPools'>;


/**
 * The plugin object, typed without rollup's or rolldown's types (so neither
 * need be installed for the other), in a shape both accept in `plugins`.
 */
export interface JobslotRollupPlugin {
  name: 'jobslot';
  /** vite's filter and webpack's entry point: false, after one line naming the plugin to use there. */
  apply(first: unknown): boolean;
  /** Governs the input plugins' hooks, after other plugins' `options` hooks. */
  options: { order: 'post'; handler(this: unknown, options: { plugins?: unknown }): Promise<null> };
  /** Governs the output plugins' hooks (`output.plugins`). */
  outputOptions: { order: 'post'; handler(this: unknown, options: { plugins?: unknown }): null };
  /** Starts the build's session; warns once if rolldown's native threads were not sized by `jobslot run`. */
  buildStart(this: unknown): void;
  /** A failed build cancels the hook calls still waiting for a slot. */
  buildEnd(this: unknown, error?: Error): void;
  /** A failed output generation cancels the renderChunk calls still waiting for a slot. */
  renderError(this: unknown): void;
  /** Ends the build's session. */
  closeBundle(this: unknown): void;
}

interface HookContext {
  meta?: { rolldownVersion?: string };
  warn?: (message: string) => void;
}

/**
 * A rollup 4 / rolldown 1 plugin that makes the build share GNU make's job
 * tokens: put it in `plugins` of rollup.config.js or rolldown.config.js.
 *
 * It governs the `transform`, `load` and `renderChunk` hooks of every other
 * plugin (input and output plugins), so at most 1 + (tokens held) of them run
 * at once in this process. @rollup/plugin-terser minifies each chunk in
 * `renderChunk` and starts a worker only when all of its workers are busy: in
 * slots, it starts no more workers than the slots held. rolldown's native
 * threads are sized when the process starts: run it as
 * `jobslot run -- rolldown -c` for those.
 */
export function jobslot(options: JobslotRollupOptions = {}): JobslotRollupPlugin {
  if ((options as JobslotViteOptions | undefined)?.workerPools !== undefined) {
    throw new TypeError(
      "@jobslot/vite-plugin/rollup: `workerPools` sizes vite's own worker pools and does nothing under rollup or rolldown. " +
        "Remove it: @rollup/plugin-terser's workers follow the slots through its governed renderChunk hook.",
    );
  }
  const opts = resolveOptions(options, 'rollup');
  let limiter: Limiter | undefined = options.limiter;
  // Created on first use: a plugin that is never used opens no jobserver.
  const getLimiter = (): Limiter => (limiter ??= sharedLimiter());
  const sessions = new Sessions();

  // terser's calls as passes of its pool (render-pass.ts), input or output plugin alike; the rest call by call.
  const runnerOf = hookRunners(getLimiter, () => sessions.signal(BUILD));

  /** Wraps the hooks of the plugins in `option`; the result settles when those behind promises are wrapped too. */
  function govern(option: unknown): Promise<unknown> | undefined {
    if (!getLimiter().limited) return undefined; // without a jobserver nothing changes
    return eachPlugin(option, (p) => governPlugin(p, plugin, opts, runnerOf(p)));
  }

  const plugin: JobslotRollupPlugin = {
    name: NAME,
    // Called by vite (a vite or vitest config) and by webpack, never by rollup or rolldown: says what to use there (misplaced.ts).
    apply: rollupEntryApply,
    // 'post': after other plugins' options hooks, which may add plugins.
    options: {
      order: 'post',
      async handler(input) {
        await govern(input.plugins);
        return null;
      },
    },
    outputOptions: {
      order: 'post',
      handler(output) {
        // Synchronous in both tools: plugin objects are wrapped now, before the
        // tool reads their hooks; a rejected promise is the tool's to report.
        govern(output.plugins)?.catch(() => {});
        return null;
      },
    },

    buildStart(this: unknown) {
      sessions.start(BUILD);
      const ctx = this as HookContext | undefined;
      const l = getLimiter();
      // rolldown's thread pools (Rust) were sized when the process started; rollup has none.
      const advice = opts.warnNativeThreads && ctx?.meta?.rolldownVersion && l.limited ? nativeThreadsWarning(l.client, { tool: 'rolldown', threads: 'threads', command: 'rolldown -c' }) : undefined;
      if (advice) ctx!.warn?.(advice);
    },
    buildEnd(error?: Error) {
      // On error, hook calls may still be queued for a slot: cancel them, so a
      // failed build takes no more tokens. On success, renderChunk is to come.
      if (error) sessions.end(BUILD, 'the build failed');
    },
    renderError() {
      // Output generation failed: cancel the renderChunk calls still waiting;
      // a later generate() of the same bundle gets a fresh session.
      sessions.start(BUILD);
    },
    closeBundle() {
      sessions.end(BUILD, 'the build ended');
    },
  };
  return plugin;
}

export default jobslot;
