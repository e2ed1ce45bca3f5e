// Runs `jobslot run`'s command inside this process, when it is a node script
// this node would run (node-command.ts): as node runs a main script, after
// the environment the command would have been given is made this process's
// own. Native pools read their variables when their addon loads, after this;
// V8's helper threads were sized when this process started (NODE_OPTIONS
// still sizes every node the command starts).
//
// What stays as a separate process would have it: process.argv, require.main
// and import.meta of the script, its exit code (process.exit, exitCode, an
// uncaught exception), its signals (it may listen; if not, the default action
// runs after our tokens are back: exit.ts). What `jobslot run` does after its
// command ends runs as this process exits (`onEnd`, through exit.ts: after
// every client in the process, the command's own, has given its tokens back).
import { createRequire } from 'node:module';
import { beforeSignalDeath } from '../exit.js';
import { v8HelperThreads, v8PoolForSlots } from '../v8-pool-size.js';
import type { NodeEntry } from './node-command.js';

/**
 * V8's helper threads in this process: sized by node when it started, from
 * --v8-pool-size on its command line or in NODE_OPTIONS (0: the CPUs less one),
 * else node's default; nothing in the process can change them after. Read
 * before `jobslot run` makes the command's environment its own.
 */
export function v8PoolOfThisProcess(cpus: number): number {
  return v8HelperThreads(process.env.NODE_OPTIONS, process.execArgv, cpus);
}

/**
 * Can the command run here without more V8 helper threads than it would get
 * in a node of its own? There it gets --v8-pool-size=<slots less one>
 * (command-env.ts); here it keeps this process's pool. More helpers than that
 * cost CPU where the machine is short of it (rollup + terser's worker threads,
 * alone under make -j2 on 2 cores: ~10 % more CPU with 4 helpers than with 2,
 * here or spawned alike; webpack, vite, rollup 0.2-0.5 s slower with 2 than 1).
 * (A tool whose work is native runs here whatever this says: native-program.ts.)
 */
export function v8FitsHere(v8Pool: number, slots: number): boolean {
  return v8Pool <= v8PoolForSlots(slots);
}

interface ModuleInternals {
  /** Node's own entry point for the main script (CommonJS or ESM), as `node SCRIPT` runs it. */
  runMain(main?: string): void;
  /** Re-reads NODE_PATH into the global search paths. */
  _initPaths?(): void;
}

/** Makes `env` this process's environment, runs the script as node's main, and calls `onEnd` once as the process goes. */
export function runInThisProcess(entry: NodeEntry, env: NodeJS.ProcessEnv, onEnd: () => void): Promise<never> {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value;
  const Module = createRequire(import.meta.url)('node:module') as ModuleInternals;
  if (entry.nodePath !== undefined) {
    process.env.NODE_PATH = entry.nodePath;
    Module._initPaths?.();
  }
  let ended = false;
  beforeSignalDeath(() => {
    if (ended) return;
    ended = true;
    onEnd();
  });
  // The process is the command's now: named as node would name it (main.ts named it `jobslot`).
  process.title = process.argv0;
  process.argv = [process.argv[0]!, entry.script, ...entry.args];
  Module.runMain(entry.script);
  // The process ends when the script is done: nothing here waits for it.
  return new Promise<never>(() => {});
}
