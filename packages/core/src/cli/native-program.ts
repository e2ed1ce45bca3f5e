// Node commands whose work is native, and what `jobslot run` does with them
// to spare a second node its start (~75-105 ms here) and its ~45 MB:
//
// - A node wrapper whose only work is to run a native program with the same
//   arguments: TypeScript 7's `tsc` (and @typescript/native-preview's `tsgo`).
//   Its bin starts node, finds the Go binary in the platform's package, runs it
//   with execFileSync (execve on node 22.15 and later) and passes its exit code
//   back. `jobslot run` runs that binary itself (`program`): the same
//   program, arguments and environment, one node start fewer (~105 ms and
//   ~120 ms of CPU of every `jobslot run -- tsc -b` here), and a signal that
//   kills it reaches make as the binary's own. The binary is found as the
//   wrapper finds it (its lib/getExePath.js, which VS Code's
//   resolveTsdkPathToExe mirrors too): the package
//   `@typescript/<name>-<platform>-<arch>` as an ES module in the wrapper's
//   package resolves it, and its `lib/<bin>`. Anything else (another layout,
//   TypeScript 5 or 6, a platform package missing) runs the command as it
//   is, and the wrapper says what is wrong.
// - A node tool whose work runs in native threads (`anyV8Pool`: rspack,
//   rsbuild, rolldown) runs in jobslot's own process whatever its V8 pool.
//
// Both are read off the script's package, looked up once (nativeWork).
import { basename, dirname, join } from 'node:path';
import { fs } from '../builtins.js';
import { isFile, realpathOr, type NodeEntry } from './node-command.js';

/** The packages whose bin is TypeScript's native wrapper, by name: what their one bin is called. */
const NATIVE_TYPESCRIPT: Record<string, string> = { typescript: 'tsc', '@typescript/native-preview': 'tsgo' };

/**
 * The CLIs whose work runs in native threads, with little JavaScript around
 * it, by package name: rspack's, rsbuild's (rspack beneath a config layer)
 * and rolldown's. Their Rust threads are sized
 * by the variables `jobslot run` sets before their binding loads (threads.ts),
 * and V8's helper threads, which a node of their own would start fewer of,
 * have little to collect or compile. So they run in jobslot's process
 * (in-process.ts) whatever its V8 pool: alone under make -j2 here
 * (2026-12-07, 10 rounds, medians) antd-rspack took 1.78 s there against 1.86
 * in a node of its own (plain 1.85), three-rolldown 0.43 against 0.48 (plain
 * 0.64), each with less CPU; rsbuild 2 building the same antd app
 * (2026-12-07, two runs of 11 rounds, medians) 1.65 and 1.69 s there against
 * 1.77 and 1.75 in a node of its own (plain 1.68 and 1.66). Not vite, though
 * rolldown bundles for it: its plugins' JavaScript (terser, babel) is much of
 * a build.
 */
const NATIVE_WORK: ReadonlySet<string> = new Set(['@rspack/cli', '@rsbuild/core', 'rolldown']);

/** What `jobslot run` does with a node script whose work is native. */
export interface NativeWork {
  /** The native program to run in the script's place, and its arguments (tsc 7's Go binary); undefined: the script itself. */
  program?: string[];
  /** Runs in jobslot's own process whatever its V8 pool (rspack's, rsbuild's and rolldown's CLIs). */
  anyV8Pool: boolean;
}

/**
 * What the node script `entry` is, by its package (a link in
 * node_modules/.bin is followed): a wrapper known to only run a native
 * program, a tool whose work is in native threads, or neither.
 */
export function nativeWork(entry: NodeEntry): NativeWork {
  const script = realpathOr(entry.script);
  const found = packageOf(script);
  if (!found) return { anyV8Pool: false };
  return { program: typescriptProgram(script, found, entry.args), anyV8Pool: NATIVE_WORK.has(found.name) };
}

/** TypeScript's native binary with `args`, where `script` is its wrapper's bin; undefined otherwise. */
function typescriptProgram(script: string, { dir: packageDir, name, manifest }: Package, args: string[]): string[] | undefined {
  const bin = NATIVE_TYPESCRIPT[name];
  if (bin === undefined || dirname(script) !== join(packageDir, 'bin') || basename(script) !== bin) return undefined;
  // Only the native wrapper declares one bin (TypeScript 5 and 6: tsc and
  // tsserver, JavaScript run by node) and ships lib/getExePath.js.
  const bins = manifest.bin;
  if (typeof bins !== 'object' || bins === null || Object.keys(bins).join() !== bin) return undefined;
  if (!isFile(join(packageDir, 'lib', 'getExePath.js'))) return undefined;
  const platformPackage = `@typescript/${basename(name)}-${process.platform}-${process.arch}`;
  const platformDir = packageAbove(platformPackage, join(packageDir, 'lib'));
  if (platformDir === undefined) return undefined;
  const program = join(platformDir, 'lib', process.platform === 'win32' ? `${bin}.exe` : bin);
  return isFile(program) ? [program, ...args] : undefined;
}

/**
 * The package `name` as an ES module in `from` finds it (getExePath.js uses
 * import.meta.resolve): in the node_modules of `from` and of each folder above
 * it, the nearest first; not on NODE_PATH, which ES modules do not read.
 */
function packageAbove(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (isFile(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

interface Package {
  dir: string;
  name: string;
  manifest: Record<string, unknown>;
}

/** The package a file is in: the nearest package.json above it that has a name (not the folder's own `{ "type": ... }`), within node_modules' package. */
function packageOf(file: string): Package | undefined {
  for (let dir = dirname(file); basename(dir) !== 'node_modules' && dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = readJson(join(dir, 'package.json'));
    if (typeof manifest?.name === 'string') return { dir, name: manifest.name, manifest };
  }
  return undefined;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(path, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
