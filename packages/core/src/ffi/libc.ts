// The few libc calls Node does not expose: non-blocking read/write that report
// EAGAIN without throwing, fcntl (access modes, O_ASYNC, F_SETOWN), poll, pipe.
import { loadKoffi } from './load.js';

export interface Libc {
  /** read(2) of one byte into buf; returns bytes read or -1 (see errno()). */
  read(fd: number, buf: Buffer, count: number): number;
  write(fd: number, buf: Buffer, count: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  /** fcntl(2) with a pointer argument (F_SETOWN_EX). */
  fcntlPtr(fd: number, cmd: number, arg: Buffer): number;
  /** The calling thread's id (Linux). */
  gettid(): number;
  /** poll(2) over a buffer of `struct pollfd` (8 bytes each). */
  poll(fds: Buffer, nfds: number, timeoutMs: number): number;
  /** poll(2) on the libuv threadpool; for platforms without signal-driven I/O. */
  pollAsync(fds: Buffer, nfds: number, timeoutMs: number, cb: (err: unknown, result: number) => void): void;
  pipe(fds: Int32Array): number;
  mkfifo(path: string, mode: number): number;
  /** flock(2): LOCK_EX | LOCK_NB; 0 or -1 (see errno()). */
  flock(fd: number, operation: number): number;
  /** Bytes waiting in a pipe or fifo (ioctl FIONREAD), or -1. */
  pending(fd: number): number;
  errno(): number;
  constants: typeof LINUX;
}

// Values for Linux; other POSIX systems differ and are chosen below.
const LINUX = {
  EINTR: 4,
  EAGAIN: 11,
  F_GETFL: 3,
  F_SETFL: 4,
  F_SETOWN: 8,
  F_SETOWN_EX: 15,
  F_OWNER_TID: 0,
  O_ACCMODE: 3,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_NONBLOCK: 0o4000,
  O_ASYNC: 0o20000,
  POLLIN: 0x1,
  LOCK_EX: 2,
  LOCK_NB: 4,
  FIONREAD: 0x541b,
};

const BSD = {
  ...LINUX,
  EAGAIN: 35,
  F_SETOWN: 6,
  O_NONBLOCK: 0x4,
  O_ASYNC: 0x40,
  FIONREAD: 0x4004667f,
};

let libc: Libc | undefined;

export function loadLibc(): Libc {
  if (libc) return libc;
  const koffi = loadKoffi();
  const lib = koffi.load(process.platform === 'linux' ? 'libc.so.6' : process.platform === 'darwin' ? 'libc.dylib' : 'libc.so');
  const read = lib.func('long read(int fd, void *buf, size_t count)');
  const write = lib.func('long write(int fd, const void *buf, size_t count)');
  // fcntl is variadic; the calls we make all take one int argument.
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  const fcntlPtr = lib.func('int fcntl(int fd, int cmd, ...)');
  const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
  const pipe = lib.func('int pipe(_Out_ int *fds)');
  const mkfifo = lib.func('int mkfifo(const char *path, uint32_t mode)');
  const flock = lib.func('int flock(int fd, int operation)');
  // ioctl is variadic; FIONREAD takes an int pointer.
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  let gettid: ((n: number) => unknown) | undefined;
  libc = {
    read: (fd, buf, count) => Number(read(fd, buf, count)),
    write: (fd, buf, count) => Number(write(fd, buf, count)),
    fcntl: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
    fcntlPtr: (fd, cmd, arg) => fcntlPtr(fd, cmd, 'void *', arg) as number,
    gettid: () => (gettid ??= lib.func('int syscall(long number)'))(186) as number,
    poll: (fds, nfds, timeout) => poll(fds, nfds, timeout) as number,
    pollAsync: (fds, nfds, timeout, cb) => poll.async(fds, nfds, timeout, cb),
    pipe: (fds) => {
      const out = [0, 0];
      const rc = pipe(out) as number;
      fds[0] = out[0]!;
      fds[1] = out[1]!;
      return rc;
    },
    mkfifo: (path, mode) => mkfifo(path, mode) as number,
    flock: (fd, operation) => flock(fd, operation) as number,
    pending: (fd) => {
      const out = Buffer.alloc(4);
      const rc = ioctl(fd, libc!.constants.FIONREAD, 'void *', out) as number;
      return rc === 0 ? out.readInt32LE(0) : -1;
    },
    errno: () => koffi.errno(),
    constants: process.platform === 'linux' ? LINUX : BSD,
  };
  return libc;
}
