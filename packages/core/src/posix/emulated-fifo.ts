// An emulated fifo: a jobserver served as a character device at a `fifo:`
// path, as machine-wide jobservers do (Gentoo's steve and guildmaster serve a
// CUSE device, `MAKEFLAGS=--jobserver-auth=fifo:/dev/steve`, exported
// system-wide; make, ninja and LLVM accept one since make's spec change,
// savannah #67726).
//
// A character device can be anything, and reading the wrong one is what a
// jobserver client must never do: /dev/zero and /dev/urandom hand out
// unlimited "tokens", /dev/null none, a terminal someone's keystrokes, a
// hidraw node a keyboard's reports, /dev/fuse a file system's requests. So the
// rule is an allow-list, not a deny-list: on Linux, accept only a device that
// the kernel lists in the `cuse` class (/sys/dev/char/MAJ:MIN/subsystem),
// which only a user-space CUSE server such as steve creates, owned by root or
// by this user, and not a terminal. Everything else keeps the 'not-a-fifo'
// error, now saying what the device is. Elsewhere (no sysfs), none is
// accepted.
//
// Tested here against every device that exists or can be made (test/
// emulated-fifo.test.ts): /dev/null, zero, full, random, urandom, kmsg, tty,
// ptmx, console, fuse, a pts, and mknod'ed copies in a temporary directory
// (one owned by another user, one whose major has no driver). CUSE cannot be
// loaded on this machine: the acceptance of a `cuse` device is tested through
// checkEmulatedFifo with the facts the kernel would give, and reasoned from
// the CUSE source (fs/fuse/cuse.c creates its devices in class "cuse").
//
// How it is used (posix.ts): opened once, read-write, and every token goes
// back through that same descriptor, never a reopened one: steve counts
// tokens per client and refuses returns from another. It is waited on with
// poll(), which CUSE forwards to the server, not with signal-driven I/O
// (a CUSE device need not implement fasync).
import type { BigIntStats } from 'node:fs';
import { JobserverError } from '../errors.js';
import { fs, path as nodePath, tty } from '../builtins.js';

const { closeSync, constants: fsc, fstatSync, openSync, realpathSync } = fs;

/** What the kernel says about a character device, as checkEmulatedFifo needs it. */
export interface DeviceFacts {
  path: string;
  major: number;
  minor: number;
  /** The device's owner. */
  uid: number;
  /** This process's user. */
  ourUid: number | undefined;
  /** The kernel's class for it (the basename of /sys/dev/char/MAJ:MIN/subsystem), or undefined if none. */
  subsystem: string | undefined;
}

/** Majors whose devices are never a jobserver, named in the refusal (Documentation/admin-guide/devices.txt). */
const KNOWN: Record<number, string> = {
  1: 'a memory device (/dev/null, /dev/zero, /dev/urandom and their kind)',
  4: 'a terminal',
  5: 'a terminal',
  10: 'a misc kernel device (/dev/fuse and its kind)',
};

/** Why this character device is not an emulated fifo, or undefined if it is one. */
export function checkEmulatedFifo(facts: DeviceFacts): string | undefined {
  const what = `the jobserver path ${facts.path} is a character device (${facts.major}:${facts.minor})`;
  if (KNOWN[facts.major]) return `${what}: ${KNOWN[facts.major]}, not a jobserver`;
  if (facts.major >= 136 && facts.major <= 143) return `${what}: a terminal, not a jobserver`;
  if (facts.uid !== 0 && facts.uid !== facts.ourUid) return `${what} owned by user ${facts.uid}, neither root nor this user: not trusted as a jobserver`;
  if (facts.subsystem !== 'cuse') {
    return `${what} of ${facts.subsystem ? `the kernel's '${facts.subsystem}' class` : 'no driver'}: only a user-space (CUSE) jobserver such as steve is read as a fifo`;
  }
  return undefined;
}

/** glibc's major()/minor() of a dev_t. */
function split(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

function subsystemOf(major: number, minor: number): string | undefined {
  try {
    return nodePath.basename(realpathSync(`/sys/dev/char/${major}:${minor}/subsystem`));
  } catch {
    return undefined;
  }
}

/**
 * Opens the character device at `path` read-write if it is an emulated fifo,
 * or throws the JobserverError ('not-a-fifo') that says what it is. `stats`
 * is the path's stat, taken before anything was opened: a device is judged
 * before open(), which alone can have effects (a terminal, a tape).
 */
export function openEmulatedFifo(path: string, stats: BigIntStats): number {
  if (process.platform !== 'linux') throw new JobserverError('not-a-fifo', `the jobserver path ${path} is a character device: only Linux can tell a user-space jobserver device from the rest`);
  const { major, minor } = split(stats.rdev);
  const why = checkEmulatedFifo({ path, major, minor, uid: Number(stats.uid), ourUid: process.getuid?.(), subsystem: subsystemOf(major, minor) });
  if (why) throw new JobserverError('not-a-fifo', why);
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDWR | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  } catch (error) {
    throw new JobserverError('cannot-open', `cannot open the jobserver device ${path}: ${(error as Error).message}`);
  }
  const opened = fstatSync(fd, { bigint: true });
  if (!opened.isCharacterDevice() || opened.rdev !== stats.rdev || opened.ino !== stats.ino || opened.dev !== stats.dev || tty().isatty(fd)) {
    closeSync(fd);
    throw new JobserverError('not-a-fifo', `the jobserver path ${path} changed under us and is no longer the device it was`);
  }
  return fd;
}
