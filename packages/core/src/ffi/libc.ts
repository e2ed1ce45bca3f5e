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
  /** close(2): for fds made by pipe() here, which node's fs did not open (in a worker it warns). */
  close(fd: number): number;
  /** dup2(2): makes `to` a copy of `from` (closing what `to` was). */
  dup2(from: number, to: number): number;
  mkfifo(path: string, mode: number): number;
  /** flock(2): LOCK_EX | LOCK_NB; 0 or -1 (see errno()). */
  flock(fd: number, operation: number): number;
  /** Bytes waiting in a pipe or fifo (ioctl FIONREAD), or -1. */
  pending(fd: number): number;
  /** tee(2) (Linux), non-blocking: copies up to `count` bytes waiting in pipe `from` into pipe `to`, consuming none. */
  tee(from: number, to: number, count: number): number;
  /** pipe2(fds, O_CLOEXEC) (Linux): a pipe no child we spawn inherits, made in one step (no fork between). */
  pipeCloexec(fds: Int32Array): number;
  /** splice(2) (Linux), non-blocking: moves up to `count` bytes from pipe `from` into pipe `to` inside the kernel. */
  splice(from: number, to: number, count: number): number;
  /** Whether a signal's disposition is the default action (sigaction(2) read only): no handler, not ignored. */
  signalDefault(signum: number): boolean;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1) (Linux): orphaned descendants become our children, not init's. */
  becomeSubreaper(): number;
  /** waitpid(pid, NULL, WNOHANG): reaps that child if it has ended; its pid, 0, or -1. */
  reap(pid: number): number;
  errno(): number;
  constants: typeof LINUX;
  /** C stdio and thread-specific data, for the worker-thread escrow (escrow.ts); loaded on first use. */
  stdio(): Stdio;
}

/** A C `FILE *` or other native pointer, as koffi hands it out. */
export type Pointer = unknown;

export interface Stdio {
  /** open(2) without node's fs (which, in a worker, may close what it opened before the thread's destructors run). */
  open(path: string, flags: number): number;
  fdopen(fd: number, mode: string): Pointer;
  /** setvbuf(file, NULL, _IOFBF, size): bytes stay in the buffer until a flush. */
  fullyBuffered(file: Pointer, size: number): number;
  fputc(byte: number, file: Pointer): number;
  /** __fpurge: drops what is buffered, writing nothing. */
  purge(file: Pointer): void;
  fclose(file: Pointer): number;
  /** fflush(NULL): writes out every stream's buffer, the escrows of all threads included. */
  flushAll(): number;
  /** flockfile / funlockfile: the stream's own lock, which fflush(NULL) takes for each stream it flushes. */
  lock(file: Pointer): void;
  unlock(file: Pointer): void;
  /** __fpending: bytes waiting in the stream's buffer. */
  pending(file: Pointer): number;
  /** pthread_key_create with fclose as the destructor: run on the file when the thread ends. */
  createFcloseKey(): number;
  deleteKey(key: number): number;
  setSpecific(key: number, value: Pointer): number;
}

// Values for Linux; other POSIX systems differ and are chosen below.
const LINUX = {
  EINTR: 4,
  EAGAIN: 11,
  F_GETFL: 3,
  F_SETFL: 4,
  /** F_SETFD with 0: the descriptor stays open across exec (FD_CLOEXEC cleared). Same value on the BSDs. */
  F_SETFD: 2,
  F_SETOWN: 8,
  F_SETOWN_EX: 15,
  F_SETSIG: 10,
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

/**
 * gettid's syscall number differs per architecture (186 is msgget on arm64,
 * where gettid is 178): used only where libc has no gettid() (glibc < 2.30,
 * musl < 1.2.2).
 */
export const GETTID_SYSCALL: Partial<Record<string, number>> = {
  x64: 186,
  ia32: 224,
  arm: 224,
  arm64: 178,
  riscv64: 178,
  loong64: 178,
  ppc64: 207,
  s390x: 236,
};

const POINTER_BYTES = ['ia32', 'arm'].includes(process.arch) ? 4 : 8;

type KoffiLib = ReturnType<ReturnType<typeof loadKoffi>['load']>;

function bindGettid(lib: KoffiLib): () => number {
  try {
    const gettid = lib.func('int gettid()');
    return () => gettid() as number;
  } catch {
    const number = GETTID_SYSCALL[process.arch];
    if (number === undefined) throw new Error(`no gettid() in libc and no known gettid syscall number for ${process.arch}`);
    const syscall = lib.func('long syscall(long number)');
    return () => Number(syscall(number));
  }
}

function bindStdio(lib: KoffiLib): Stdio {
  const open = lib.func('int open(const char *path, int flags, ...)');
  const fdopen = lib.func('void *fdopen(int fd, const char *mode)');
  const setvbuf = lib.func('int setvbuf(void *file, void *buf, int mode, size_t size)');
  const fputc = lib.func('int fputc(int c, void *file)');
  const fpurge = lib.func('void __fpurge(void *file)');
  const fclose = lib.func('int fclose(void *file)');
  const fflush = lib.func('int fflush(void *file)');
  const flockfile = lib.func('void flockfile(void *file)');
  const funlockfile = lib.func('void funlockfile(void *file)');
  const fpending = lib.func('size_t __fpending(void *file)');
  const dlsym = lib.func('void *dlsym(void *handle, const char *name)');
  const keyCreate = lib.func('int pthread_key_create(_Out_ uint32_t *key, void *destructor)');
  const keyDelete = lib.func('int pthread_key_delete(uint32_t key)');
  const setSpecific = lib.func('int pthread_setspecific(uint32_t key, void *value)');
  // RTLD_DEFAULT is a null handle on glibc and musl.
  const fcloseAddress = dlsym(null, 'fclose');
  if (!fcloseAddress) throw new Error('dlsym(fclose) failed');
  const IOFBF = 0;
  return {
    open: (path, flags) => open(path, flags, 'int', 0) as number,
    fdopen: (fd, mode) => fdopen(fd, mode),
    fullyBuffered: (file, size) => setvbuf(file, null, IOFBF, size) as number,
    fputc: (byte, file) => fputc(byte, file) as number,
    purge: (file) => void fpurge(file),
    fclose: (file) => fclose(file) as number,
    flushAll: () => fflush(null) as number,
    lock: (file) => void flockfile(file),
    unlock: (file) => void funlockfile(file),
    pending: (file) => Number(fpending(file)),
    createFcloseKey: () => {
      const key = [0];
      if ((keyCreate(key, fcloseAddress) as number) !== 0) throw new Error('pthread_key_create failed');
      return key[0]!;
    },
    deleteKey: (key) => keyDelete(key) as number,
    setSpecific: (key, value) => setSpecific(key, value) as number,
  };
}

let libc: Libc | undefined;
let stdio: Stdio | undefined;

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
  const close = lib.func('int close(int fd)');
  const dup2 = lib.func('int dup2(int from, int to)');
  let prctl: ((option: number, ...args: unknown[]) => unknown) | undefined;
  let waitpid: ((pid: number, status: null, options: number) => unknown) | undefined;
  let tee: ((from: number, to: number, count: number, flags: number) => unknown) | undefined;
  let gettid: (() => number) | undefined;
  let pipe2: ((fds: number[], flags: number) => unknown) | undefined;
  let splice: ((from: number, offIn: null, to: number, offOut: null, count: number, flags: number) => unknown) | undefined;
  let sigaction: ((signum: number, act: null, old: Buffer) => unknown) | undefined;
  libc = {
    read: (fd, buf, count) => Number(read(fd, buf, count)),
    write: (fd, buf, count) => Number(write(fd, buf, count)),
    fcntl: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
    fcntlPtr: (fd, cmd, arg) => fcntlPtr(fd, cmd, 'void *', arg) as number,
    gettid: () => (gettid ??= bindGettid(lib))(),
    poll: (fds, nfds, timeout) => poll(fds, nfds, timeout) as number,
    pollAsync: (fds, nfds, timeout, cb) => poll.async(fds, nfds, timeout, cb),
    pipe: (fds) => {
      const out = [0, 0];
      const rc = pipe(out) as number;
      fds[0] = out[0]!;
      fds[1] = out[1]!;
      return rc;
    },
    pipeCloexec: (fds) => {
      const out = [0, 0];
      // O_CLOEXEC is 0o2000000 on every Linux architecture node runs on.
      const rc = (pipe2 ??= lib.func('int pipe2(_Out_ int *fds, int flags)'))(out, 0o2000000) as number;
      fds[0] = out[0]!;
      fds[1] = out[1]!;
      return rc;
    },
    // SPLICE_F_NONBLOCK (2), as for tee.
    splice: (from, to, count) =>
      Number((splice ??= lib.func('long splice(int from, void *offIn, int to, void *offOut, size_t count, unsigned int flags)'))(from, null, to, null, count, 2)),
    signalDefault: (signum) => {
      // struct sigaction starts with the handler on glibc and musl; SIG_DFL is 0. 256 bytes covers every layout.
      const old = Buffer.alloc(256);
      if (((sigaction ??= lib.func('int sigaction(int signum, void *act, void *old)'))(signum, null, old) as number) !== 0) return false;
      return POINTER_BYTES === 8 ? old.readBigUInt64LE(0) === 0n : old.readUInt32LE(0) === 0;
    },
    mkfifo: (path, mode) => mkfifo(path, mode) as number,
    flock: (fd, operation) => flock(fd, operation) as number,
    pending: (fd) => {
      const out = Buffer.alloc(4);
      const rc = ioctl(fd, libc!.constants.FIONREAD, 'void *', out) as number;
      return rc === 0 ? out.readInt32LE(0) : -1;
    },
    close: (fd) => close(fd) as number,
    dup2: (from, to) => dup2(from, to) as number,
    // SPLICE_F_NONBLOCK (2): neither pipe may block us.
    // PR_SET_CHILD_SUBREAPER is 36; prctl is variadic.
    becomeSubreaper: () => (prctl ??= lib.func('int prctl(int option, ...)'))(36, 'unsigned long', 1) as number,
    // WNOHANG is 1.
    reap: (pid) => (waitpid ??= lib.func('int waitpid(int pid, void *status, int options)'))(pid, null, 1) as number,
    tee: (from, to, count) => Number((tee ??= lib.func('long tee(int from, int to, size_t count, unsigned int flags)'))(from, to, count, 2)),
    errno: () => koffi.errno(),
    stdio: () => (stdio ??= bindStdio(lib)),
    constants: process.platform === 'linux' ? LINUX : BSD,
  };
  return libc;
}
