// Tokens held by a worker thread, kept where they outlive the thread's JS.
//
// worker.terminate() and the main thread's process.exit() stop a worker's
// JavaScript at once: no 'exit' hook of the worker runs, and the bytes it
// read from the jobserver would be lost for good. So, in a worker, every
// byte held is also put in the buffer of a C stdio stream on a write end of
// the jobserver, never flushed while the worker runs. The stream is the
// value of a thread-specific key whose destructor is fclose(): when the
// thread ends, however it ends, libc flushes the buffer, which writes the
// held bytes back. At process exit, exit() flushes every stream the same way.
// A byte given back the usual way is dropped from the buffer first.
//
// One path libc does not cover: the process dying of a signal (SIGTERM,
// SIGINT, SIGHUP with no handler of the program's own) runs no exit(), so no
// buffer is flushed. The main thread's exit hooks (exit.ts) run first, and
// when the main thread has a client, they flush every stream before the
// signal is re-raised (posix.ts, onSignalDeath). A process whose main thread
// never connects has no such hook: its workers' tokens are lost to a fatal
// signal, as they would be to SIGKILL.
//
// Linux only (glibc or musl: __fpurge, pthread keys), and only in worker
// threads: the main thread's own exit hooks give its tokens back.
import type { Libc, Pointer, Stdio } from '../ffi/libc.js';

/** Room for more held tokens than any pipe has: the buffer must never flush by itself. */
const BUFFER = 1 << 20;

export class Escrow {
  private readonly stdio: Stdio;
  private readonly libc: Libc;
  private readonly held: number[] = [];
  private file: Pointer | undefined;
  private key: number | undefined;

  /** Throws if this libc lacks what it needs; the caller then goes without. */
  constructor(
    libc: Libc,
    /** Opens a new write end of the jobserver natively (-1 on failure); the stream owns and closes it. */
    private readonly openWriteEnd: () => number,
  ) {
    this.libc = libc;
    this.stdio = libc.stdio();
  }

  /** A byte was read from the jobserver: keep a copy in the stream's buffer. */
  add(byte: number): void {
    if (this.held.length >= BUFFER) return;
    if (this.file === undefined) {
      try {
        this.open();
      } catch {
        return; // the token is still ours, only without the safety net
      }
    }
    this.stdio.fputc(byte, this.file);
    this.held.push(byte);
  }

  /** A byte is about to be written back the usual way: drop its copy first. */
  remove(byte: number): void {
    const index = this.held.lastIndexOf(byte);
    if (index < 0 || this.file === undefined) return;
    this.held.splice(index, 1);
    if (this.held.length === 0) return this.close();
    this.stdio.purge(this.file);
    for (const b of this.held) this.stdio.fputc(b, this.file);
  }

  /** Drops every copy (the bytes went back, or the client closed) and the stream. */
  close(): void {
    this.held.length = 0;
    if (this.file === undefined) return;
    const file = this.file;
    this.file = undefined;
    this.stdio.setSpecific(this.key!, null);
    this.stdio.deleteKey(this.key!);
    this.key = undefined;
    this.stdio.purge(file);
    this.stdio.fclose(file);
  }

  private open(): void {
    const fd = this.openWriteEnd();
    if (fd < 0) throw new Error(`cannot open a write end for the escrow (errno ${this.libc.errno()})`);
    const file = this.stdio.fdopen(fd, 'w');
    if (!file) {
      this.libc.close(fd);
      throw new Error('fdopen failed');
    }
    this.stdio.fullyBuffered(file, BUFFER);
    // One key per stream, deleted with it: a worker holds at most one.
    this.key = this.stdio.createFcloseKey();
    this.stdio.setSpecific(this.key, file);
    this.file = file;
  }
}

