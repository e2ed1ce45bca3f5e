// V8's code cache for the `jobslot` command's own files (dist/cli-*.cjs), as
// v8-compile-cache keeps one: `jobslot run` starts in front of every build it
// wraps, and compiling its code is a few ms of each start. Node 20 has no
// module.enableCompileCache (node 22), so the command's CommonJS files are
// compiled here, by vm.Script with the cached data of the last run, and the
// data is written once, at exit, when there was none (or V8 turned it down).
//
// Safe to skip, and skipped at the first doubt: a cache is read only from a
// directory of this user's that nobody else may write to, and used only for
// the very source it was made from. V8 itself checks its version and flags,
// but of the source only its length: so each cache file holds the whole source
// it was made from, compared byte for byte before V8 sees the data. Writes go
// to a temporary file renamed into place (two processes never mix halves).
//   $XDG_CACHE_HOME/jobslot/v8-<node version>-<arch>/ (else ~/.cache/...);
//   JOBSLOT_CODE_CACHE=0 turns it off.
import Module from 'node:module';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

/** Cache files not rewritten for this long are removed when one is written (old versions' files). */
const STALE_MS = 14 * 24 * 3600 * 1000;
const MAGIC = 0x4a534331; // 'JSC1'

interface CompiledModule {
  exports: unknown;
  _compile(content: string, filename: string): unknown;
}

/** The cache directory for this node, if this user's and safe to read; undefined otherwise. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.JOBSLOT_CODE_CACHE === '0' || process.platform === 'win32' || !process.getuid) return undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  if (!base || !isAbsolute(base)) return undefined;
  return join(base, 'jobslot', `v8-${process.version}-${process.arch}`);
}

/** A directory of ours that nobody else can write to (no symlink); false if missing or doubtful. */
function ours(dir: string): boolean {
  try {
    const stats = lstatSync(dir);
    return stats.isDirectory() && stats.uid === process.getuid!() && (stats.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** A short name for `file`'s path, so two installs (two checkouts) keep caches apart. */
function pathKey(file: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** The V8 data in `cache` if it was made from exactly `source`. */
function cachedDataFor(cache: Buffer, source: Buffer): Buffer | undefined {
  if (cache.length < 8 || cache.readUInt32LE(0) !== MAGIC) return undefined;
  const length = cache.readUInt32LE(4);
  if (length !== source.length || cache.length <= 8 + length) return undefined;
  return source.equals(cache.subarray(8, 8 + length)) ? cache.subarray(8 + length) : undefined;
}

/**
 * From now on, files in `dist` whose names start with `cli` compile through
 * the code cache (other modules as node compiles them).
 */
export function useCodeCache(dist: string): void {
  const dir = codeCacheDir();
  if (!dir) return;
  // Read only from a directory nobody else can write to (nor its parent, which could swap it).
  const readable = ours(dirname(dir)) && ours(dir);
  const toWrite: Array<{ script: Script; file: string; source: Buffer }> = [];
  const proto = (Module as unknown as { prototype: CompiledModule }).prototype;
  const compile = proto._compile;
  proto._compile = function (this: CompiledModule, content: string, filename: string) {
    if (dirname(filename) !== dist || !basename(filename).startsWith('cli')) return compile.call(this, content, filename);
    // A shebang (the banner) becomes a comment of the same length: the wrapper goes before it.
    const code = content.startsWith('#!') ? `//${content.slice(2)}` : content;
    const source = Buffer.from(code);
    const file = join(dir, `${basename(filename)}-${pathKey(filename)}.cache`);
    let cachedData: Buffer | undefined;
    if (readable) {
      try {
        cachedData = cachedDataFor(readFileSync(file), source);
      } catch {
        // none yet
      }
    }
    let script: Script;
    try {
      script = new Script(Module.wrap(code), { filename, cachedData });
    } catch {
      return compile.call(this, content, filename);
    }
    if (!cachedData || script.cachedDataRejected) toWrite.push({ script, file, source });
    const fn = script.runInThisContext() as (...args: unknown[]) => unknown;
    const require = Module.createRequire(filename);
    return fn.call(this.exports, this.exports, require, this, filename, dirname(filename));
  };
  // At exit the scripts hold every function this run compiled: the next run finds them compiled.
  process.once('exit', () => {
    if (toWrite.length > 0) writeCaches(dir, toWrite);
  });
}

function writeCaches(dir: string, entries: Array<{ script: Script; file: string; source: Buffer }>): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!ours(dirname(dir)) || !ours(dir)) return;
    for (const { script, file, source } of entries) {
      const data = script.createCachedData();
      const header = Buffer.alloc(8);
      header.writeUInt32LE(MAGIC, 0);
      header.writeUInt32LE(source.length, 4);
      const temporary = `${file}.${process.pid}.tmp`;
      const fd = openSync(temporary, 'w', 0o600);
      try {
        for (const part of [header, source, data]) writeSync(fd, part);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, file);
    }
    prune(dir, new Set(entries.map((e) => e.file)));
  } catch {
    // A cache is only a cache: a full disk or a read-only home costs nothing but the next start.
  }
}

/** Removes cache files no run has written for a while (old versions' chunks, left temporaries). */
function prune(dir: string, keep: Set<string>): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (keep.has(file)) continue;
    try {
      if (now - statSync(file).mtimeMs > STALE_MS) rmSync(file, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}
