// Emulated fifos (a jobserver served as a character device at a `fifo:` path,
// as steve and guildmaster do through CUSE): which devices the client reads.
// Every device this machine has or can make is refused; CUSE cannot be loaded
// here, so acceptance is checked through checkEmulatedFifo with the facts the
// kernel gives for a CUSE device (see src/emulated-fifo.ts).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobClient } from '../src/index.js';
import { checkEmulatedFifo } from '../src/posix/emulated-fifo.js';

const pts = existsSync('/dev/pts') ? readdirSync('/dev/pts').filter((n) => /^\d+$/.test(n)).map((n) => `/dev/pts/${n}`) : [];
const devices: Array<[string, RegExp]> = (
  [
    ['/dev/null', /memory device/],
    ['/dev/zero', /memory device/],
    ['/dev/full', /memory device/],
    ['/dev/random', /memory device/],
    ['/dev/urandom', /memory device/],
    ['/dev/kmsg', /memory device/],
    ['/dev/tty', /terminal/],
    ['/dev/ptmx', /terminal/],
    ['/dev/console', /terminal/],
    ['/dev/tty0', /terminal/],
    ['/dev/fuse', /misc kernel device/],
    ['/dev/kvm', /misc kernel device/],
    ...pts.slice(0, 1).map((p) => [p, /terminal/] as [string, RegExp]),
  ] as Array<[string, RegExp]>
).filter(([p]) => existsSync(p));

function connect(path: string) {
  const warnings: string[] = [];
  const client = JobClient.fromEnv({ env: { MAKEFLAGS: ` -j4 --jobserver-auth=fifo:${path}` }, onWarning: (m) => warnings.push(m) });
  const result = { connected: client.connected, kind: client.error?.kind, warnings };
  client.close();
  return result;
}

describe('a character device at a fifo: path', () => {
  it.each(devices)('%s is refused with one warning that says what it is', (path, what) => {
    const { connected, kind, warnings } = connect(path);
    expect(connected).toBe(false);
    expect(kind).toBe('not-a-fifo');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/is a character device \(\d+:\d+\)/);
    expect(warnings[0]).toMatch(what);
  });

  // mknod needs CAP_MKNOD (root in a container): made in a private temporary directory.
  const canMknod = (() => {
    try {
      const dir = mkdtempSync(join(tmpdir(), 'jobslot-dev-'));
      execFileSync('mknod', [join(dir, 'probe'), 'c', '1', '3'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!canMknod)('made devices: a copy of /dev/zero elsewhere, a major with no driver, one owned by another user', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobslot-dev-'));
    const make = (name: string, major: number, minor: number) => {
      const path = join(dir, name);
      execFileSync('mknod', [path, 'c', String(major), String(minor)]);
      return path;
    };
    expect(connect(make('zero', 1, 5)).warnings[0]).toMatch(/memory device/);
    expect(connect(make('pts', 136, 0)).warnings[0]).toMatch(/terminal/);
    // 240-254 are dynamic majors (a CUSE device gets one): with no driver, still no jobserver.
    expect(connect(make('dynamic', 240, 7)).warnings[0]).toMatch(/of no driver: only a user-space \(CUSE\) jobserver/);
    const foreign = make('foreign', 240, 8);
    chownSync(foreign, 1234, 1234);
    expect(connect(foreign).warnings[0]).toMatch(/owned by user 1234, neither root nor this user/);
  });
});

describe('checkEmulatedFifo (the facts the kernel gives for a device)', () => {
  const cuse = { path: '/dev/steve', major: 239, minor: 0, uid: 0, ourUid: 1000, subsystem: 'cuse' };
  it('a CUSE device owned by root or this user is an emulated fifo', () => {
    expect(checkEmulatedFifo(cuse)).toBeUndefined();
    expect(checkEmulatedFifo({ ...cuse, uid: 1000 })).toBeUndefined();
  });
  it('anything else is not', () => {
    expect(checkEmulatedFifo({ ...cuse, uid: 1234 })).toMatch(/owned by user 1234/);
    expect(checkEmulatedFifo({ ...cuse, subsystem: 'hidraw' })).toMatch(/the kernel's 'hidraw' class/);
    expect(checkEmulatedFifo({ ...cuse, subsystem: undefined })).toMatch(/no driver/);
    expect(checkEmulatedFifo({ ...cuse, major: 1, minor: 5 })).toMatch(/memory device/);
    expect(checkEmulatedFifo({ ...cuse, major: 136 })).toMatch(/terminal/);
  });
});
