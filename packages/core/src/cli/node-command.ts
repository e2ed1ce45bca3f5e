// Is `jobslot run`'s command a node script that this very node would run?
// Then it can run inside jobslot's own process (in-process.ts) instead of in
// a second node of its own: a node process costs ~55 ms to start and ~45 MB,
// which on a build of a second or less is most of jobslot's tax.
//
// Recognised, each only as node itself would run it, with no node option:
// - `node SCRIPT ARGS...`, where `node` is this process's node;
// - a script whose first line is `#!/usr/bin/env node` or `#!/path/to/node`
//   (what npm and yarn link into node_modules/.bin);
// - a pnpm shim (node_modules/.bin under pnpm: a shell script ending in
//   `# cmd-shim-target=SCRIPT`) of exactly the shape pnpm writes, `exec node
//   "$basedir/..." "$@"`, with the NODE_PATH it exports.
// Anything else (a shell script, a native binary, node options on the line
// or in the shebang, a node of another path) runs as before, in a process of
// its own; `why` says which. So does a script that waits for a child
// synchronously (execFileSync, spawnSync, execSync: a wrapper that runs a
// native binary), looked for in the script and the files it imports by
// relative path (runsHere): while it waits, this process's event loop stands
// still, and `jobslot run`'s own work on the sub-pool (growing it, giving
// back, answering a waiter beneath) with it. (tsc 7's wrapper is one; `jobslot
// run` runs its binary in its place: native-program.ts.)
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

export interface NodeEntry {
  /** The script, as node would name it in process.argv[1]. */
  script: string;
  /** The arguments after it. */
  args: string[];
  /** NODE_PATH as the pnpm shim would set it (undefined: leave it as it is). */
  nodePath?: string;
  /** argv[0] as node would get it: the word that named node (`node` through env or a shim, the shebang's path, the command's first word); undefined: `node`. */
  argv0?: string;
}

/** How much of a file is read to know what it is: a shim is ~2.5 KB. */
const HEAD_BYTES = 8192;
/** How much of a script is looked through for a synchronous wait. */
const SCRIPT_BYTES = 512 * 1024;
/** A file this small is a wrapper's: the files it imports by relative path are looked through too (tsc 7's: 44 bytes, then 609). */
const WRAPPER_BYTES = 4096;
/** How many files a wrapper imports are looked through. */
const IMPORTS_LOOKED_AT = 8;

/** A node script as found, with the first bytes read of it (for its shebang) where they were. */
export interface NodeScript extends NodeEntry {
  head?: string;
}

/** The command as a node script this node runs, or a reason it is not one. */
export function nodeEntry(command: readonly string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): NodeEntry | { why: string } {
  const found = nodeScript(command, env, cwd);
  return 'why' in found ? found : runsHere(found);
}

/**
 * The command as a node script this node would run, or a reason it is not
 * one; whether it can run in this process is runsHere's to say.
 */
export function nodeScript(command: readonly string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): NodeScript | { why: string } {
  const [file, ...args] = command;
  if (!file) return { why: 'no command' };
  const found = findExecutable(file, env.PATH, cwd);
  if (!found) return { why: `${file} not found` };
  if (sameFile(found, process.execPath)) {
    const [script, ...rest] = args;
    if (script === undefined || script.startsWith('-')) return { why: 'node options or no script' };
    return { script: resolve(cwd, script), args: rest, argv0: file };
  }
  const head = readText(found);
  if (head === undefined) return { why: `${found} cannot be read` };
  const shebang = /^#!([^\n]*)/.exec(head)?.[1]?.trim();
  if (shebang === undefined) return { why: `${found} is not a script` };
  const words = shebang.split(/\s+/);
  const interpreter = words[0] === '/usr/bin/env' || words[0] === '/bin/env' ? words.slice(1) : words;
  if (interpreter.length === 1 && isThisNode(interpreter[0]!, env.PATH, cwd)) return { script: found, args, head, argv0: interpreter[0]! };
  if (interpreter.length === 1 && /^(?:\/usr)?\/bin\/(?:ba|da)?sh$/.test(interpreter[0]!)) return pnpmShim(found, head, args, env, cwd);
  return { why: `${found} runs ${shebang}` };
}

/**
 * pnpm's shim runs `node "$basedir/../pkg/bin/x" "$@"` with NODE_PATH set, or
 * a node beside it if there is one. Only that exact shape is taken.
 */
function pnpmShim(shim: string, head: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): NodeEntry | { why: string } {
  const target = /^# cmd-shim-target=(\/[^\n]+)$/m.exec(head)?.[1];
  if (!target) return { why: `${shim} is a shell script` };
  // Every exec line runs node (or node.exe) with nothing but the script and "$@".
  const execs = head.match(/^\s*exec .*$/gm) ?? [];
  if (execs.length === 0 || !execs.every((line) => /^\s*exec (?:"\$basedir\/node(?:\.exe)?"|node(?:\.exe)?) +"\$basedir(?:_win)?\/[^"]+" "\$@"$/.test(line))) {
    return { why: `${shim} is not a plain pnpm shim` };
  }
  // A node of its own beside the shim would run it, not ours.
  const basedir = dirname(realpathOr(shim));
  if (isFile(join(basedir, 'node'))) return { why: `${shim} runs the node beside it` };
  if (!isThisNode('node', env.PATH, cwd)) return { why: "PATH's node is not this node" };
  if (!isFile(target)) return { why: `${target} (${shim}'s script) not found` };
  const exported = /^\s*export NODE_PATH="([^"$`\\]*)"$/m.exec(head)?.[1];
  const nodePath = exported === undefined ? undefined : env.NODE_PATH ? `${exported}${delimiter}${env.NODE_PATH}` : exported;
  return { script: resolve(target), args, nodePath, argv0: 'node' };
}

/**
 * The command that starts `script` in a node of its own, as its shim or
 * shebang would, but with this node directly: pnpm's shim is a shell script
 * that forks readlink, sed and uname before it execs node (~3 ms of every
 * command `jobslot run` spawns), and `#!/usr/bin/env node` is one more exec.
 * Node gets what they would give it: the script, its arguments, argv[0] and
 * the shim's NODE_PATH.
 */
export function directNode(script: NodeEntry, env: NodeJS.ProcessEnv): { command: string[]; argv0: string; env: NodeJS.ProcessEnv } {
  return {
    command: [process.execPath, script.script, ...script.args],
    argv0: script.argv0 ?? 'node',
    env: script.nodePath === undefined ? env : { ...env, NODE_PATH: script.nodePath },
  };
}

/**
 * The script as an entry to run in this process, unless it is a wrapper that
 * waits for its program synchronously. Its `head`, read for its shebang, is
 * not read again.
 */
export function runsHere({ head, ...entry }: NodeScript): NodeEntry | { why: string } {
  const SYNC_WAIT = /\b(?:execFileSync|spawnSync|execSync)\s*\(/;
  const first = realpathOr(entry.script);
  const seen = new Set<string>([first]);
  const queue = [first];
  for (let looked = 0; queue.length > 0 && looked <= IMPORTS_LOOKED_AT; looked++) {
    const file = queue.shift()!;
    // The script itself whole; what a wrapper imports only while it is a wrapper's too.
    const text = file === first ? scriptText(file, head) : readText(file, WRAPPER_BYTES + 1);
    if (text === undefined || (file !== first && text.length > WRAPPER_BYTES)) continue;
    if (SYNC_WAIT.test(text)) return { why: `${file} waits for its program synchronously` };
    if (text.length > WRAPPER_BYTES) continue;
    for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.\.?\/[^'"\n]+)['"]/g)) {
      const imported = resolve(dirname(file), match[1]!);
      if (!seen.has(imported)) {
        seen.add(imported);
        queue.push(imported);
      }
    }
  }
  return entry;
}

/** `name` as execvp would find it on `path`. */
function findExecutable(name: string, path: string | undefined, cwd: string): string | undefined {
  if (name.includes('/')) return isFile(resolve(cwd, name)) ? resolve(cwd, name) : undefined;
  for (const dir of (path ?? '').split(delimiter)) {
    const candidate = resolve(cwd, dir || '.', name);
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

function isThisNode(interpreter: string, path: string | undefined, cwd: string): boolean {
  const found = isAbsolute(interpreter) ? interpreter : findExecutable(interpreter, path, cwd);
  return found !== undefined && sameFile(found, process.execPath);
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The script's first SCRIPT_BYTES, as text. Where its first bytes were read
 * already (`head`, HEAD_BYTES of them unless the file ended there), it reads
 * on from their end: a script is not read twice on `jobslot run`'s start-up.
 * (Not the larger read first, for every command: 512 KB of a native binary,
 * make's or cargo's, costs ~0.2-0.4 ms here where 8 KB cost ~0.01-0.04.)
 */
function scriptText(path: string, head: string | undefined): string | undefined {
  if (head === undefined) return readText(path, SCRIPT_BYTES);
  if (head.length < HEAD_BYTES) return head;
  const rest = readText(path, SCRIPT_BYTES - HEAD_BYTES, HEAD_BYTES);
  return rest === undefined ? undefined : head + rest;
}

/** Up to `bytes` of the file from byte `from`, one character a byte (latin1: lengths and offsets stay bytes); undefined if it cannot be read. */
function readText(path: string, bytes = HEAD_BYTES, from = 0): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(bytes);
    const n = readSync(fd, buf, 0, bytes, from);
    return buf.toString('latin1', 0, n);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
