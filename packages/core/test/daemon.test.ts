// `jobslot serve`'s pieces that need no daemon: the endpoint checks (what a
// client trusts before it tells a socket anything), sizes, and the status
// text. The daemon itself is tested end to end in test/serve-daemon.test.ts.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../src/cli/size.js';
import { formatStatus } from '../src/cli/status.js';
import { daemonSocketFor, endpointDir, privateDirProblem } from '../src/client/daemon-endpoint.js';
import { loadLibc } from '../src/ffi/libc.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'jobslot-endpoint-'));

describe('the endpoint', () => {
  it('lives in $XDG_RUNTIME_DIR/jobslot when that is a private directory of ours, else in the temp directory', () => {
    const xdg = scratch();
    expect(endpointDir({ XDG_RUNTIME_DIR: xdg })).toEqual({ dir: join(xdg, 'jobslot'), base: 'XDG_RUNTIME_DIR' });
    chmodSync(xdg, 0o755);
    expect(endpointDir({ XDG_RUNTIME_DIR: xdg }).base).toBe('TMPDIR');
    expect(endpointDir({ XDG_RUNTIME_DIR: 'relative/dir' }).base).toBe('TMPDIR');
    expect(endpointDir({}).dir).toBe(join(tmpdir(), `jobslot-${process.getuid!()}`));
  });

  it('a directory is private only if it is ours, mode 700, and not a symlink', () => {
    const dir = scratch();
    expect(privateDirProblem(dir)).toBeUndefined();
    const link = join(scratch(), 'link');
    symlinkSync(dir, link);
    expect(privateDirProblem(link)).toMatch(/symbolic link/);
    chmodSync(dir, 0o750);
    expect(privateDirProblem(dir)).toMatch(/open to others \(mode 750/);
    expect(privateDirProblem(join(dir, 'missing'))).toMatch(/does not exist/);
  });

  it.skipIf(process.getuid?.() !== 0)("another user's directory is not ours, whatever its mode (run as root: chown works)", () => {
    const dir = scratch();
    chownSync(dir, 65534, 65534);
    expect(privateDirProblem(dir)).toMatch(/belongs to uid 65534, not to this user \(uid 0\)/);
  });

  it("a client links to the daemon only for a fifo named `fifo` beside our socket, in a private directory", async () => {
    const dir = scratch();
    const fifo = join(dir, 'fifo');
    expect(loadLibc().mkfifo(fifo, 0o600)).toBe(0);
    expect(daemonSocketFor(fifo)).toBeUndefined(); // no socket yet
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'socket'), resolve));
    chmodSync(join(dir, 'socket'), 0o600);
    try {
      expect(daemonSocketFor(fifo)).toBe(join(dir, 'socket'));
      // make 4.4's own fifo, or any other name: not the daemon's.
      expect(daemonSocketFor(join(dir, 'GMfifo123'))).toBeUndefined();
      chmodSync(fifo, 0o666);
      expect(daemonSocketFor(fifo)).toBeUndefined();
      chmodSync(fifo, 0o600);
      chmodSync(dir, 0o755);
      expect(daemonSocketFor(fifo)).toBeUndefined();
    } finally {
      chmodSync(dir, 0o700);
      await new Promise((resolve) => server.close(resolve));
    }
    // A regular file where the fifo should be: not a jobserver at all.
    const other = scratch();
    mkdirSync(join(other, 'sub'));
    writeFileSync(join(other, 'fifo'), '');
    expect(daemonSocketFor(join(other, 'fifo'))).toBeUndefined();
  });
});

describe('sizes', () => {
  it('reads K, M, G, T, P as powers of 1024, with or without B or iB', () => {
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('512M')).toBe(512 * 1024 ** 2);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('4gb')).toBe(4 * 1024 ** 3);
    expect(parseSize('1P')).toBe(1024 ** 5);
    for (const bad of ['', 'lots', '-1G', '4X', '1e9']) expect(parseSize(bad)).toBeUndefined();
    expect(formatSize(1024 ** 5)).toBe('1 PiB');
    expect(formatSize(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(formatSize(23 * 1024 ** 3 + 5)).toBe('23 GiB');
  });
});

describe('jobslot status', () => {
  it('one line per client, tokens free, held and unattributed, and the limits in force', () => {
    const now = new Date('2026-01-02T10:00:00').getTime();
    const text = formatStatus(
      {
        pid: 100,
        jobs: 8,
        fifo: '/run/user/1000/jobslot/fifo',
        socket: '/run/user/1000/jobslot/socket',
        free: 2,
        heldBack: 1,
        unattributed: 2,
        loadAverage: 12,
        load: 3.5,
        minMemory: 4 * 1024 ** 3,
        available: 10 * 1024 ** 3,
        since: now - 3_725_000,
        clients: [
          { pid: 202, command: 'node vite build', tokens: 2, since: now - 5000 },
          { pid: 201, command: 'jobslot run -- make', tokens: 1, since: now - 60_000 },
        ],
        fifoOpenBy: [{ pid: 300, command: 'make -j' }],
        builds: 2,
        share: 4,
      },
      now,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('jobslot serve -j 8: pid 100, up 1h02m, /run/user/1000/jobslot/fifo');
    expect(lines[1]).toBe('tokens: 2 free, 3 held by jobslot processes, 2 read by others (make, cargo, ninja), 1 held back');
    expect(lines[2]).toBe('limits: load average 12 (now 3.50); min memory 4 GiB (available 10 GiB)');
    expect(lines[3]).toBe('builds (jobslot run): 2, each keeping at most 4 slots while the others run');
    expect(lines[4]).toMatch(/^PID\s+TOKENS\s+SINCE\s+COMMAND$/);
    // Oldest first.
    expect(lines[5]).toMatch(/^201\s+1\s+09:59:00\s+jobslot run -- make$/);
    expect(lines[6]).toMatch(/^202\s+2\s+09:59:55\s+node vite build$/);
    expect(lines[7]).toBe('fifo open in: 300 (make -j)');
  });
});
