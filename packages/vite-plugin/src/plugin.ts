// The vite plugin: governs the other plugins' hooks with a jobslot limiter and
// sizes vite's worker pools. Without a jobserver it changes nothing at all.
import { sharedLimiter, type Limiter } from '@jobslot/core';
import { nativeThreadsWarning } from '@jobslot/core/plugin';
import type { Plugin, ResolvedConfig } from 'vite';
import { resolveOptions, type JobslotViteOptions } from './options.js';
import { outsideViteCheck } from './outside-vite.js';
import { viteApply } from './misplaced.js';
import { eachPlugin } from './plugin-option.js';
import { poolConfig } from './pools.js';
import { hookRunners } from './render-pass.js';
import { Sessions } from './sessions.js';
import { isVitestRootServer, isVitestServer, sizeInlineProjects, sizeVitestWorkers, unsizedRunMessage, type VitestLike, type VitestSizer } from './vitest.js';
import { governPlugin, NAME, type PluginLike, type Runner } from './wrap.js';

/** The most workers a pool of vite's is sized to here. */
const MAX_POOL = 64;

/**
 * The `plugins` options of `build.rollupOptions` (vite 8: `build.rolldownOptions`, the
 * same object there), top-level and per environment (vite 6+). vite 5 puts them in the
 * resolved plugins; vite 6 and later add them to each environment's build as it starts,
 * as copies of these objects made with the hooks they have then.
 */
function buildOptionPlugins(config: ResolvedConfig): unknown[] {
  type Build = { rollupOptions?: { plugins?: unknown }; rolldownOptions?: { plugins?: unknown } } | undefined;
  const environments = (config as { environments?: Record<string, { build?: Build }> }).environments ?? {};
  const builds: Build[] = [config.build as Build, ...Object.values(environments).map((e) => e?.build)];
  const options = new Set(builds.flatMap((b) => [b?.rollupOptions, b?.rolldownOptions]));
  return [...options].map((o) => o?.plugins).filter((p) => p !== undefined);
}

/** The environment a hook runs for (vite 6+ builds several); one name before that. */
function environmentOf(ctx: unknown): string {
  const env = (ctx as { environment?: { name?: unknown } } | undefined)?.environment;
  return typeof env?.name === 'string' ? env.name : '';
}

/**
 * A vite plugin that makes the build share GNU make's job tokens.
 *
 * Put it anywhere in `plugins`: once the config is resolved it governs the
 * `transform`, `load` and `renderChunk` hooks of every other plugin, and as
 * each output is generated those of its output plugins
 * (`build.rollupOptions.output.plugins`, vite 8: `build.rolldownOptions`), so at
 * most 1 + (tokens held) of them run at once in this process. Slots are taken
 * per hook call and given back as each call ends; the dev server holds nothing
 * while idle. Native threads (rolldown, esbuild) are sized when the process
 * starts: run the build through `jobslot run -- vite build` for those.
 */
export function jobslot(options: JobslotViteOptions = {}): Plugin {
  const opts = resolveOptions(options);
  let limiter: Limiter | undefined = options.limiter;
  // Created on first use: a plugin that is never used opens no jobserver.
  const getLimiter = (): Limiter => (limiter ??= sharedLimiter());
  /** Per environment: aborts the hook calls still waiting for a slot when its build ends. */
  const sessions = new Sessions();
  let inVite = false; // configResolved ran: vite's build, not rollup's or rolldown's alone
  let vitestRoot = false; // configResolved ran in vitest's root server
  /** How each governed plugin's hooks take slots; set once configResolved decides to govern. */
  let runnerOf: ((p: PluginLike) => Runner) | undefined;
  // Output plugins are rollup's or rolldown's own, not vite's per-environment copies: their
  // calls carry no environment, so they belong to the one whose output is being generated.
  let outputEnvironment = '';

  // vitest (3.1 and later) calls this hook, which vite's Plugin type does not know.
  const configureVitest = ({ vitest }: { vitest: VitestLike }) => {
    if (opts.workerPools) sizeVitestWorkers(vitest, getLimiter());
  };
  /** What this plugin adds to a vitest config's inline projects: they do not inherit the root's plugins. */
  const vitestSizer: VitestSizer = { name: `${NAME}:vitest`, configureVitest };

  const plugin: Plugin = {
    name: NAME,
    // vite's filter; webpack's entry point, where it says what to use there (misplaced.ts).
    apply: viteApply,

    config(user) {
      const l = getLimiter();
      if (!l.limited || !opts.workerPools) return;
      sizeInlineProjects((user as { test?: unknown }).test, vitestSizer);
      // The slots to be had right now: the implicit one and the free tokens
      // (under `jobslot run`, its sub-pool's), taken and given straight back.
      const probe = l.tryReserve(MAX_POOL);
      const slots = probe.slots;
      probe.release();
      // vite 7 and later name themselves here, and start CSS workers by default; 5 and 6 do neither.
      const version = (this as { meta?: { viteVersion?: string } } | undefined)?.meta?.viteVersion;
      return poolConfig(user, slots, Number(version?.split('.')[0]) >= 7);
    },

    configResolved(config: ResolvedConfig) {
      inVite = true;
      const l = getLimiter();
      if (!l.limited) return; // without a jobserver nothing changes
      // vitest's server: its test workers hold the slots for the run (vitest.ts), and these hooks
      // transform modules for those workers; a hook waiting for a slot of its own could wait for ever.
      if (isVitestServer(config.plugins)) {
        vitestRoot = isVitestRootServer(config.plugins);
        return;
      }
      // `jobslot run` (or the user) sets these before the process starts; if none is set,
      // rolldown and esbuild start a thread per core whatever the tokens say.
      // Only for `vite build`: a dev server is not a make build step, and the advice is for builds.
      const advice = opts.warnNativeThreads && config.command === 'build' ? nativeThreadsWarning(l.client, { tool: 'vite', threads: 'threads (rolldown, esbuild)', command: 'vite build' }) : undefined;
      if (advice) config.logger.warn(advice);
      // terser's calls as passes of its pool (render-pass.ts), wherever it sits; the rest call by call.
      runnerOf = hookRunners(getLimiter, (ctx) => sessions.signal(environmentOf(ctx) || outputEnvironment));
      const runners = runnerOf;
      const govern = (p: PluginLike) => governPlugin(p, plugin, opts, runners(p));
      for (const p of config.plugins as readonly PluginLike[]) govern(p);
      // Wrapped before vite copies them for a build (a promise's plugins as soon as it settles:
      // vite awaits it later); the copies call the governed hooks. Wrapping a plugin twice
      // (vite 5 has these in config.plugins too) wraps its original, once.
      eachPlugin(buildOptionPlugins(config), govern)?.catch(() => {});
    },

    // Each output's own plugins (`build.rollupOptions.output.plugins`, an output of an array of
    // them; vite 8: `build.rolldownOptions`, the same object): not in the resolved config, so
    // governed here, as rollup and rolldown hand each output's options to every plugin before
    // they read any output plugin's hooks (as the /rollup entry does, rollup.ts). Wrapping again
    // on a later build (watch mode, the next environment) wraps the original, never the wrapper.
    outputOptions: {
      order: 'post',
      handler(output) {
        if (!runnerOf) return null; // not governing: no jobserver, vitest's server, or not vite's build
        outputEnvironment = environmentOf(this);
        const runners = runnerOf;
        // Synchronous: plugin objects are wrapped now; a rejected promise is the tool's to report.
        eachPlugin((output as { plugins?: unknown }).plugins, (p) => governPlugin(p, plugin, opts, runners(p)))?.catch(() => {});
        return null;
      },
    },

    configureServer(server) {
      if (!vitestRoot || !opts.workerPools) return;
      // vitest sets up its projects and calls their configureVitest hooks in its own
      // configureServer: before ours in vitest 4.1, after ours in 4.0 (order: 'post'). vite calls
      // the function a configureServer hook returns once every such hook has run, so the check
      // waits for that.
      return () => {
        const message = unsizedRunMessage(getLimiter());
        if (message) server.config.logger.warnOnce(message);
      };
    },

    options: outsideViteCheck(() => inVite, getLimiter),

    buildStart() {
      // A rebuild (watch mode) starts a fresh session.
      sessions.start(environmentOf(this));
    },

    buildEnd(error?: Error) {
      // On success nothing waits any more. On error, rollup/rolldown may still
      // have hook calls queued for a slot: cancel them, so a failed build takes
      // no more tokens; the calls already running give theirs back as they end.
      if (error) sessions.end(environmentOf(this));
    },

    closeBundle() {
      sessions.end(environmentOf(this));
    },
  };
  return Object.assign(plugin, { configureVitest });
}
