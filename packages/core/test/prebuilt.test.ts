// koffi's binary loaded without koffi's own loader (src/ffi/prebuilt.ts): the
// same file koffi would load, and koffi's loader whenever that is not certain.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loaderName, loadPrebuiltKoffi } from '../src/ffi/prebuilt.js';

const require = createRequire(import.meta.url);
const LINUX = process.platform === 'linux';

function head(file: string, size = 4096): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    return buf.subarray(0, readSync(fd, buf, 0, size, 0));
  } finally {
    closeSync(fd);
  }
}

/** A little ELF header with one program header (PT_INTERP when `interp` is given), 32 or 64 bits. */
function elf(wide: boolean, interp: string | undefined): Buffer {
  const buf = Buffer.alloc(512);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = wide ? 2 : 1;
  buf[5] = 1;
  buf[6] = 1;
  const phoff = wide ? 64 : 52;
  const phentsize = wide ? 56 : 32;
  const at = phoff + phentsize;
  if (wide) {
    buf.writeBigUInt64LE(BigInt(phoff), 32);
    buf.writeUInt16LE(phentsize, 54);
    buf.writeUInt16LE(2, 56);
  } else {
    buf.writeUInt32LE(phoff, 28);
    buf.writeUInt16LE(phentsize, 42);
    buf.writeUInt16LE(2, 44);
  }
  // The first program header is PT_LOAD (1), the second PT_INTERP (3) or PT_NOTE (4).
  buf.writeUInt32LE(1, phoff);
  buf.writeUInt32LE(interp ? 3 : 4, at);
  const offset = 300;
  const size = (interp?.length ?? 0) + 1;
  if (wide) {
    buf.writeBigUInt64LE(BigInt(offset), at + 8);
    buf.writeBigUInt64LE(BigInt(size), at + 32);
  } else {
    buf.writeUInt32LE(offset, at + 4);
    buf.writeUInt32LE(size, at + 16);
  }
  if (interp) buf.write(`${interp}\0`, offset, 'latin1');
  return buf;
}

describe("loaderName: the dynamic loader named in an ELF file's first page", () => {
  it.runIf(LINUX)("reads node's own, as readelf does", () => {
    const interp = loaderName(head(process.execPath));
    expect(interp).toMatch(/^\/.*\/ld-(linux|musl)[^/]*\.so\.\d+$/);
    const readelf = (() => {
      try {
        return execFileSync('readelf', ['-l', process.execPath], { encoding: 'utf8' });
      } catch {
        return undefined;
      }
    })();
    if (readelf) expect(readelf).toContain(`[Requesting program interpreter: ${interp}]`);
  });

  it('reads 64- and 32-bit headers', () => {
    expect(loaderName(elf(true, '/lib/ld-musl-x86_64.so.1'))).toBe('/lib/ld-musl-x86_64.so.1');
    expect(loaderName(elf(false, '/lib/ld-linux.so.2'))).toBe('/lib/ld-linux.so.2');
  });

  it('says nothing where it cannot be sure', () => {
    // no PT_INTERP (a static build)
    expect(loaderName(elf(true, undefined))).toBeUndefined();
    // the name runs past what was read
    expect(loaderName(elf(true, '/lib/ld-linux-x86-64.so.2').subarray(0, 310))).toBeUndefined();
    // program headers past what was read
    expect(loaderName(elf(true, '/lib/ld-linux-x86-64.so.2').subarray(0, 100))).toBeUndefined();
    // big-endian, not ELF, unknown class, empty
    const big = elf(true, '/lib/ld.so.1');
    big[5] = 2;
    expect(loaderName(big)).toBeUndefined();
    expect(loaderName(Buffer.from('#!/bin/sh\nexec node "$@"\n'.padEnd(200)))).toBeUndefined();
    const odd = elf(true, '/lib/ld.so.1');
    odd[4] = 3;
    expect(loaderName(odd)).toBeUndefined();
    expect(loaderName(Buffer.alloc(0))).toBeUndefined();
    // a name without its terminating NUL
    const unterminated = elf(true, '/lib/ld-linux-x86-64.so.2');
    unterminated.writeBigUInt64LE(BigInt('/lib/ld-linux-x86-64.so.2'.length), 64 + 56 + 32);
    expect(loaderName(unterminated)).toBeUndefined();
  });
});

describe("loadPrebuiltKoffi: koffi's binary without koffi's loader", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A folder whose node_modules holds what `files` says (a path ending in / is a link to that folder). */
  function project(files: Record<string, string>): NodeJS.Require {
    const root = mkdtempSync(join(tmpdir(), 'jobslot-prebuilt-'));
    dirs.push(root);
    for (const [name, content] of Object.entries(files)) {
      const file = join(root, 'node_modules', name);
      mkdirSync(dirname(file), { recursive: true });
      if (content.endsWith('/')) symlinkSync(content, file);
      else writeFileSync(file, content);
    }
    return createRequire(join(root, 'index.js'));
  }

  const binaries = `@koromix/koffi-${process.platform}-${process.arch}`;
  const koffiMain = require.resolve('koffi');
  const binariesDir = dirname(createRequire(koffiMain).resolve(`${binaries}/package.json`));

  it.runIf(LINUX && ['x64', 'arm64'].includes(process.arch))("loads the very binary koffi's own loader loads", () => {
    const native = loadPrebuiltKoffi(require);
    expect(native).toBeDefined();
    // koffi exports its binary as `default`: the same object, so the same file (node caches it by real path).
    expect(native).toBe((require('koffi') as { default: unknown }).default);
    expect(native!.version).toBe(require(join(dirname(koffiMain), 'package.json')).version);
  });

  it('leaves it to koffi where koffi is not a package with a package.json', () => {
    expect(loadPrebuiltKoffi(project({ 'koffi.js': 'module.exports = {}' }))).toBeUndefined();
    expect(loadPrebuiltKoffi(project({ 'koffi/index.js': 'module.exports = {}' }))).toBeUndefined();
    expect(loadPrebuiltKoffi(project({ 'koffi/package.json': JSON.stringify({ name: 'not-koffi', version: '3.3.4' }) }))).toBeUndefined();
  });

  // (Where nothing is found, node's lookup goes on to NODE_PATH, which pnpm exec points at its
  // hoisted node_modules, koffi's included: so would require('koffi').)
  it("leaves it to koffi where its binary is of another version than koffi's", () => {
    const { version } = require(join(dirname(koffiMain), 'package.json')) as { version: string };
    const other = project({ 'koffi/package.json': JSON.stringify({ name: 'koffi', version: '0.0.1' }), [binaries]: `${binariesDir}/` });
    expect(loadPrebuiltKoffi(other)).toBeUndefined();
    // The same layout at koffi's own version is loaded: only the version differed.
    if (LINUX && ['x64', 'arm64'].includes(process.arch)) {
      const same = project({ 'koffi/package.json': JSON.stringify({ name: 'koffi', version }), [binaries]: `${binariesDir}/` });
      expect(loadPrebuiltKoffi(same)).toBe(loadPrebuiltKoffi(require));
    }
  });
});
