import { resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { library } from '../../tsup.shared';

const lib: Options = {
  ...library,
  // The runtime index and the subpath exports (package.json "exports").
  entry: {
    index: 'src/index.ts',
    server: 'src/exports/server.ts',
    trace: 'src/exports/trace.ts',
    plugin: 'src/exports/plugin.ts',
    testing: 'src/exports/testing.ts',
  },
  // One copy of each module across the entries, in CJS too (JobserverError
  // stays one class whichever entry a caller loads).
  splitting: true,
  // The build script empties dist/ first: three configs build into it at once.
  clean: false,
  // import.meta.url in the CJS build (used to load koffi lazily)
  shims: true,
};

type Plugin = NonNullable<Options['esbuildPlugins']>[number];
type PluginBuild = Parameters<Plugin['setup']>[0];

/**
 * client.ts and discover.ts import `./platform.js` (client/platform.ts, which
 * vitest runs: a top-level await). Each build resolves it to `file` (relative
 * to src/client/) instead: the CommonJS and ES module builds to a file that
 * requires this platform's folder, the POSIX run bundle to that folder itself.
 */
function resolveClientPlatform(build: PluginBuild, file: string): void {
  build.onResolve({ filter: /^\.\/platform\.js$/ }, (args) =>
    args.importer.endsWith('/client/client.ts') || args.importer.endsWith('/client/discover.ts') ? { path: resolve(args.resolveDir, file) } : undefined,
  );
}

/**
 * Each platform's folder an entry of its own (`${prefix}posix-platform`,
 * `${prefix}windows-platform`), so it is a file of its own that only that
 * platform requires (shared modules go to shared chunks): a process on Linux
 * loads no Windows code.
 */
function platformEntries(prefix: string): Record<string, string> {
  return { [`${prefix}posix-platform`]: 'src/posix/platform.ts', [`${prefix}windows-platform`]: 'src/windows/platform.ts' };
}

/**
 * CommonJS has no top-level await: client/platform.cjs.ts requires this
 * platform's folder instead, at run time, as an entry's file of its own
 * (`${prefix}posix-platform.cjs`, external here: bundled, both platforms'
 * code would be in one file, if never run).
 */
function platformCjs(prefix: string): Plugin {
  return {
    name: 'platform-cjs',
    setup(build) {
      resolveClientPlatform(build, 'platform.cjs.ts');
      build.onResolve({ filter: /^\.\.\/(posix|windows)\/platform\.js$/ }, (args) => {
        const folder = /^\.\.\/(posix|windows)\//.exec(args.path)?.[1];
        return args.importer.endsWith('/client/platform.cjs.ts') ? { path: `./${prefix}${folder}-platform.cjs`, external: true } : undefined;
      });
    },
  };
}

/**
 * The ES module build's client/platform.ts is platform.esm.ts: it requires
 * this platform's folder, an entry of its own (`posix-platform.js`,
 * `windows-platform.js`), instead of a top-level await (see there).
 */
const platformEsm: Plugin = {
  name: 'platform-esm',
  setup(build) {
    resolveClientPlatform(build, 'platform.esm.ts');
  },
};

/**
 * The library (index and subpaths) in one format, with each platform's
 * folder an entry of its own that `platformPlugin`'s file requires.
 */
function libraryBuild(format: 'esm' | 'cjs', platformPlugin: Plugin): Options {
  return {
    ...lib,
    format: [format],
    entry: { ...(lib.entry as Record<string, string>), ...platformEntries('') },
    // (not public: no declarations for the platform entries)
    dts: { entry: lib.entry },
    esbuildPlugins: [platformPlugin],
  };
}

/**
 * main.ts, bundled alone (dist/cli.cjs: it and run-args.ts, no chunk to
 * load): its `import('./run.js')` is the POSIX run bundle (dist/cli-run.cjs,
 * below), or on Windows run.ts's entry in the CLI's split build, as before
 * (cli-run-split.cjs), chosen in one line; its `import('./program.js')` is
 * program.ts's entry in the split build (cli-program.cjs).
 */
const mainEntry: Plugin = {
  name: 'main-entry',
  setup(build) {
    build.onResolve({ filter: /^\.\/(run|program)\.js$/ }, (args) => {
      if (!args.importer.endsWith('/cli/main.ts')) return undefined;
      return { path: args.path, namespace: 'main-entry' };
    });
    // (require(), not import(): a CommonJS file's import() would start node's ES module loader)
    build.onLoad({ filter: /.*/, namespace: 'main-entry' }, (args) => ({
      contents:
        args.path === './run.js'
          ? "export const { runUnder } = process.platform === 'win32' ? require('./cli-run-split.cjs') : require('./cli-run.cjs');"
          : "export const { runProgram } = require('./cli-program.cjs');",
      loader: 'js',
    }));
    build.onResolve({ filter: /^\.\/cli-(run|run-split|program)\.cjs$/, namespace: 'main-entry' }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * The POSIX run bundle: the client's platform is the POSIX one, imported
 * (no platform file to require, no Windows code in the file), and run.ts's
 * Windows path, which a POSIX process never takes, is not in it either.
 */
const posixRun: Plugin = {
  name: 'posix-run',
  setup(build) {
    resolveClientPlatform(build, '../posix/platform.ts');
    build.onResolve({ filter: /^\.\/run-windows\.js$/ }, (args) => (args.importer.endsWith('/cli/run.ts') ? { path: 'run-windows', namespace: 'posix-run' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'posix-run' }, () => ({
      contents: "export function runOnSemaphore() { throw new Error('dist/cli-run.cjs is jobslot run for POSIX: on Windows, dist/cli.cjs loads cli-run-split.cjs'); }",
      loader: 'js',
    }));
  },
};

export default defineConfig([
  // The library: ES modules and CommonJS, neither with a top-level await.
  libraryBuild('esm', platformEsm),
  libraryBuild('cjs', platformCjs('')),
  {
    // The `jobslot` command, run by node as dist/cli.cjs (package.json "bin"):
    // CommonJS, as node starts it without its ES module loader (5 ms of every
    // `jobslot run`). main.ts reads a plain `jobslot run` and loads run.ts's
    // file; every other subcommand, and commander, loads on use. main.ts is
    // one file of its own (mainEntry): a plain `jobslot run` loads two files.
    entry: { cli: 'src/cli/main.ts' },
    format: ['cjs'],
    target: 'node20',
    splitting: false,
    shims: true,
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
    esbuildPlugins: [mainEntry],
    clean: false,
  },
  {
    // The rest of the command (program.ts: commander and every subcommand;
    // `jobslot run` on Windows), split into chunks that load on use.
    // Names of its own (cli-*): the library's CJS build writes into dist/ too.
    // (run.ts an entry of its own: Windows loads it by name, see mainEntry)
    entry: { 'cli-program': 'src/cli/program.ts', 'cli-run-split': 'src/cli/run.ts', ...platformEntries('cli-') },
    format: ['cjs'],
    target: 'node20',
    splitting: true,
    shims: true,
    sourcemap: true,
    esbuildPlugins: [platformCjs('cli-')],
    esbuildOptions(options) {
      options.chunkNames = 'cli-chunk-[hash]';
    },
    // the library build cleans dist/; this one must not wipe it
    clean: false,
  },
  {
    // `jobslot run` on POSIX, as main.ts loads it: run.ts and all it uses in
    // one file (dist/cli-run.cjs), for POSIX only (posixRun). Split into the
    // CLI's ~14 shared chunks it cost a file lookup, read and compile each.
    // Its modules are its own copies (no splitting): a process that runs it
    // loads no other chunk of the CLI; the commander path (program.ts) and
    // Windows load the split build's.
    entry: { 'cli-run': 'src/cli/run.ts' },
    format: ['cjs'],
    target: 'node20',
    splitting: false,
    shims: true,
    sourcemap: true,
    esbuildPlugins: [posixRun],
    clean: false,
  },
  {
    // dist/cli.js: the command's old path, for scripts that run it by path.
    entry: { cli: 'src/cli/esm-shim.ts' },
    format: ['esm'],
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    clean: false,
  },
]);
