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
// A byte given back the usual way is dropped from the buffer first. Both
// moves (jobserver to buffer, buffer to jobserver) happen under the stream's
// own lock, which the flush at death takes too: a byte is never in neither
// place, nor in both, when the flush runs.
//
// One path libc does not cover: the process dying of a signal (SIGTERM,
// SIGINT, SIGHUP with no handler of the program's own) runs no exit(), so no
// buffer is flushed. The main thread's exit hooks (exit.ts) run first, and
// when the main thread has a client, they flush every stream before the
// signal is re-raised (signal-death.ts). A process whose main thread never
// connected has no such hook: there a worker keeps its tokens in a lifeline
// instead (lifeline.ts), outside the process, which SIGKILL covers too. This
// escrow is for the common case, where a signal's default action is replaced
// by a listener, and costs no process.
//
// Linux only (glibc or musl: __fpurge, pthread keys), and only in worker
// threads: the main thread's own exit hooks give its tokens back.
import type { TakeResult } from '../backend.js';
import type { Libc, Pointer, Stdio } from '../ffi/libc.js';

/** Room for more held tokens than any pipe has: the buffer must never flush by itself. */
const BUFFER = 1 << 20;

export class Escrow {
  private readonly stdio: Stdio;
  private readonly libc: Libc;
  private readonly held: number[] = [];
  private file: Pointer | undefined;
  /** The process is dying of a signal and its flush wrote our copies back (see giving()). */
  private flushed = false;
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

  /**
   * Runs `read` (one byte from the jobserver, or none) holding the stream's
   * lock, and keeps a copy of the byte it took. The flush at death
   * (fflush(NULL), which takes each stream's lock in turn) then finds the
   * byte either still in the jobserver or in the buffer, never in between,
   * where it would die with the process.
   */
  taking(read: () => TakeResult): TakeResult {
    const file = this.stream();
    if (!file) return read(); // the token is still ours, only without the safety net
    this.stdio.lock(file);
    try {
      const result = read();
      if (typeof result === 'number' && this.held.length < BUFFER) {
        this.stdio.fputc(result, file);
        this.held.push(result);
      }
      return result;
    } finally {
      this.stdio.unlock(file);
    }
  }

  /**
   * Gives a byte back with `write`, dropping its copy first, both under the
   * stream's lock: the flush at death cannot run between the two (the byte
   * would be lost), and if it ran before, it wrote the copy back already, so
   * `write` must not (the byte would go back twice).
   */
  giving(byte: number, write: () => void): void {
    // The flush at death wrote back every byte held then; none can be taken since.
    if (this.flushed) return;
    const index = this.held.lastIndexOf(byte);
    if (index < 0 || this.file === undefined) return write();
    const file = this.file;
    this.stdio.lock(file);
    try {
      // Fewer bytes waiting than held: the flush at death emptied the buffer, the byte is back.
      if (this.stdio.pending(file) < this.held.length) {
        this.flushed = true;
        this.held.length = 0;
        return;
      }
      this.held.splice(index, 1);
      this.stdio.purge(file);
      for (const b of this.held) this.stdio.fputc(b, file);
      try {
        write();
      } catch (error) {
        // Not given back: it is still ours, copy included.
        this.stdio.fputc(byte, file);
        this.held.push(byte);
        throw error;
      }
    } finally {
      this.stdio.unlock(file);
    }
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

  /** The stream, opened on first use; undefined if it cannot be had. */
  private stream(): Pointer | undefined {
    if (this.file !== undefined) return this.file;
    try {
      this.open();
      return this.file;
    } catch {
      return undefined;
    }
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

