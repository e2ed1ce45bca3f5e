// koffi's binary, loaded without koffi's own loader where the file it would
// pick is certain. That loader costs ~5 ms of every `jobslot run` (measured:
// require('koffi') 6.8 ms, its binary alone 1.2 ms): two bundled scripts to
// compile, a package lookup, and on Linux a read of node's ELF header to tell
// glibc from musl. The binary it ends on is one file in the package beside
// koffi's, `@koromix/koffi-<platform>-<arch>/<triplet>/koffi.node`, and it
// hands that binary's exports on as they are (plus deprecated aliases we do
// not use). So: name the same file by koffi's own rules, and load it; where
// anything is unexpected (an ABI koffi tells apart by ELF flags, an
// unreadable or static node, a missing file, another version) return
// undefined, and koffi's own loader runs, as it always did.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { fs, path } from '../builtins.js';

type KoffiModule = typeof Koffi;

/** koffi's Node-API floor (its package.json `cnoke.napi`): below it koffi says so itself. */
const NAPI_MIN = 8;

/** Where koffi's triplet is `<platform>_<arch>` (or `musl_<arch>`): other arches (arm, riscv, ppc64) need ELF flags to name. */
const PLAIN_ARCHES = ['x64', 'arm64', 'ia32'];

/** PT_INTERP: the program header naming the dynamic loader. */
const PT_INTERP = 3;

/**
 * koffi's binary for this process, as koffi itself would choose it from the
 * koffi that `require` resolves; undefined where that is not certain.
 */
export function loadPrebuiltKoffi(require: NodeJS.Require): KoffiModule | undefined {
  if (!(Number(process.versions.napi) >= NAPI_MIN) || !PLAIN_ARCHES.includes(process.arch)) return undefined;
  const libc = process.platform === 'linux' ? linuxLibc() : undefined;
  if (process.platform === 'linux' && !libc) return undefined;
  const triplet = `${libc === 'musl' ? 'musl' : process.platform}_${process.arch}`;
  try {
    const koffi = koffiFolder(require);
    if (!koffi) return undefined;
    // Its binaries' package, as koffi itself finds it: looked up from its own folder.
    const name = `@koromix/koffi-${process.platform}-${process.arch}`;
    const binaries = createRequire(path.join(koffi.dir, 'index.cjs'))
      .resolve.paths(name)
      ?.map((dir) => path.join(dir, name))
      .find((dir) => fs.existsSync(path.join(dir, 'package.json')));
    if (!binaries) return undefined;
    const native = require(path.join(binaries, triplet, 'koffi.node')) as KoffiModule;
    // koffi refuses a binary of another version ("Mismatched native Koffi modules"): so do we, by letting it say so.
    return native && native.version === koffi.version ? native : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The folder of the koffi package `require('koffi')` would load, and its
 * version, found as node looks up a package (the first of the lookup
 * folders holding one) without resolving its "exports": node's first exports
 * lookup costs ~1.5 ms of loading its ES module resolver. undefined where
 * that lookup would not end on a package.json (then require() decides).
 */
function koffiFolder(require: NodeJS.Require): { dir: string; version: unknown } | undefined {
  for (const dir of require.resolve.paths('koffi') ?? []) {
    const candidate = path.join(dir, 'koffi');
    let text: string;
    try {
      text = fs.readFileSync(path.join(candidate, 'package.json'), 'utf8');
    } catch {
      // node would try a file or folder named koffi without a package.json here: not ours to guess.
      if (fs.existsSync(candidate) || fs.existsSync(`${candidate}.js`)) return undefined;
      continue;
    }
    const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
    return pkg.name === 'koffi' ? { dir: fs.realpathSync.native(candidate), version: pkg.version } : undefined;
  }
  return undefined;
}

/**
 * The C library node runs on, as koffi tells it: from the dynamic loader
 * named in node's ELF program headers (`ld-musl-*` is musl, any other glibc).
 * undefined where node cannot be read as expected (a static build, say).
 */
function linuxLibc(): 'glibc' | 'musl' | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(process.execPath, 'r');
    // The header, the program headers and the loader's name sit in node's first page.
    const head = Buffer.allocUnsafe(4096);
    const size = fs.readSync(fd, head, 0, head.length, 0);
    const interp = loaderName(head.subarray(0, size));
    return interp === undefined ? undefined : path.basename(interp).startsWith('ld-musl-') ? 'musl' : 'glibc';
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** PT_INTERP's path in a little-endian ELF file's first bytes; undefined if absent or not within them. */
export function loaderName(head: Buffer): string | undefined {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[5] !== 1) return undefined;
  const wide = head[4] === 2;
  if (!wide && head[4] !== 1) return undefined;
  const phoff = wide ? Number(head.readBigUInt64LE(32)) : head.readUInt32LE(28);
  const phentsize = head.readUInt16LE(wide ? 54 : 42);
  const phnum = head.readUInt16LE(wide ? 56 : 44);
  if (phentsize < (wide ? 56 : 32)) return undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > head.length) return undefined;
    if (head.readUInt32LE(at) !== PT_INTERP) continue;
    const offset = wide ? Number(head.readBigUInt64LE(at + 8)) : head.readUInt32LE(at + 4);
    const size = wide ? Number(head.readBigUInt64LE(at + 32)) : head.readUInt32LE(at + 16);
    if (size < 2 || offset + size > head.length || head[offset + size - 1] !== 0) return undefined;
    return head.toString('latin1', offset, offset + size - 1);
  }
  return undefined;
}
