// Tokens held by a worker thread in a process whose main thread runs none of
// our code (Linux): kept where a process that outlives ours gives them back.
//
// escrow.ts covers a worker's tokens when its thread ends and when the
// process calls exit(); a death by signal is covered by the main thread's
// exit hooks (signal-death.ts), which flush before re-raising. Without a
// client on the main thread no hook listens: SIGTERM, SIGINT or SIGHUP takes
// the default action and the process is gone, as with SIGKILL, before any of
// our code runs again. Node cannot let a worker handle a signal, and a native
// handler would have to run JavaScript on whatever thread the signal hit.
//
// So the held bytes leave the process. They sit in a pipe of their own (the
// escrow pipe), moved there from the jobserver by splice(2), and back to it
// the same way: one system call, inside the kernel, so a byte is in the
// jobserver or in the escrow pipe whenever the process dies, never in our
// memory between the two (SIGKILL included). A lifeline process, started at
// the worker client's first take (a spawn of /bin/sh: about 7-11 ms, once),
// holds the escrow pipe's read end, a write end of the jobserver,
// and the read end of a second pipe (the lifeline) that nothing is ever
// written to. Our ends of both pipes are close-on-exec (no child of ours
// holds them) and owned by thread-specific keys whose destructor is fclose():
// when the thread ends, or the client closes, or the process dies however it
// dies, the lifeline reads end-of-file, and the lifeline process writes back
// what is left in the escrow pipe, which is exactly what was held, and exits.
// A byte given back the usual way has left the escrow pipe already: it cannot
// go back twice.
//
// The lifeline is /bin/sh with builtins only (read, printf: it wakes and
// writes back without starting another program), ignoring the signals that
// kill a build (SIGINT, SIGTERM, SIGHUP), started in the background of a
// short-lived shell so that it is nobody's zombie. It lives as long as the
// escrow: a process that exits normally leaves nothing behind.
//
// Bytes leave the escrow pipe oldest first, so a give-back writes the oldest
// held byte, not necessarily the one named: what goes back over the client's
// life is what it took. A NUL byte read back by the shell is dropped (fewer
// tokens, never more); make, cargo and jobslot never write one. Each client
// uses five thread keys while open (of PTHREAD_KEYS_MAX, 1024 on glibc).
// The lifeline returns the bytes just after the death, racing make: the
// kernel closes a dying process's descriptors (waking the lifeline) before it
// tells the parent. Where the killed process was make's last job, make 4.3's
// and 4.4.1's count at their end found every token in 80 of 80 tries here.
import type { TakeResult } from '../backend.js';
import { childProcess } from '../builtins.js';
import type { Libc, Pointer, Stdio } from '../ffi/libc.js';
import type { Escrow } from './escrow.js';

/**
 * Run by /bin/sh as `sh -c SCRIPT`; fds 3 (lifeline), 4 (escrow pipe), 5
 * (jobserver) inherited. The background job waits for end-of-file on the
 * lifeline, then copies the escrow pipe to the jobserver until it too ends.
 */
const SCRIPT = [
  "trap '' HUP INT TERM PIPE",
  '{',
  '  read -r _ <&3',
  "  while IFS= read -r t <&4; do printf '%s\\n' \"$t\" >&5; done",
  "  printf '%s' \"$t\" >&5",
  '} 3<&3 4<&4 5>&5 </dev/null >/dev/null 2>&1 &',
].join('\n');

export class Lifeline {
  private readonly stdio: Stdio;
  /** How many bytes the escrow pipe holds (ours to give back). */
  private held = 0;
  /** The streams owning our ends of the escrow pipe, the lifeline and the scratch pipe, each a thread key's value. */
  private readonly owned: { file: Pointer; key: number; fd: number }[] = [];
  /** A pipe of our own to look at the escrow pipe's newest byte through (tee). */
  private readonly scratch = new Int32Array(2);
  private closed = false;

  /** Started on the first take: a backend opened and closed unused (discovery's probes) costs no process. */
  private state: 'idle' | 'started' | 'failed' = 'idle';
  private escrowRead = -1;
  private escrowWrite = -1;

  constructor(
    private readonly libc: Libc,
    private readonly jobserverRead: number,
    /** Opens a new write end of the jobserver natively (-1 on failure), for the lifeline process to keep. */
    private readonly openWriteEnd: () => number,
    /** The client's own write end of the jobserver, opened when first needed. */
    private readonly writeFd: () => number,
    /** Used instead if the lifeline cannot be had (no splice, no /bin/sh, no pthread keys). */
    private readonly fallback: Escrow | undefined,
  ) {
    this.stdio = libc.stdio();
  }

  private start(): boolean {
    if (this.state === 'idle') {
      try {
        this.open();
        this.state = 'started';
      } catch {
        this.state = 'failed';
      }
    }
    return this.state === 'started';
  }

  /** Throws if a part cannot be had, leaving nothing open. */
  private open(): void {
    const { libc } = this;
    const jobserverWrite = this.openWriteEnd();
    if (jobserverWrite < 0) throw new Error(`cannot open a write end for the lifeline (errno ${libc.errno()})`);
    const escrow = new Int32Array(2);
    const lifeline = new Int32Array(2);
    const opened: number[] = [jobserverWrite];
    try {
      for (const fds of [escrow, lifeline, this.scratch]) {
        if (libc.pipeCloexec(fds) !== 0) throw new Error(`pipe2 failed (errno ${libc.errno()})`);
        opened.push(fds[0]!, fds[1]!);
      }
      const { F_GETFL, F_SETFL, O_NONBLOCK } = libc.constants;
      for (const fd of this.scratch) libc.fcntl(fd, F_SETFL, libc.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
      // Each of our ends is closed by its stream, by close() or when the thread ends (no fd is left
      // behind by a terminated worker); the write ends' closing is what wakes the lifeline.
      for (const fd of [escrow[1]!, lifeline[1]!, this.scratch[1]!]) this.own(fd, 'w');
      for (const fd of [escrow[0]!, this.scratch[0]!]) this.own(fd, 'r');
      const started = childProcess().spawnSync('/bin/sh', ['-c', SCRIPT, 'jobslot-lifeline'], {
        stdio: ['ignore', 'ignore', 'ignore', lifeline[0]!, escrow[0]!, jobserverWrite],
        // Nothing from the environment: no startup file, no PATH (builtins only), bytes as bytes (C locale).
        env: {},
        timeout: 10_000,
      });
      if (started.error || started.status !== 0) throw new Error(`cannot start the lifeline (${started.error?.message ?? `status ${started.status}`})`);
      libc.close(lifeline[0]!);
      libc.close(jobserverWrite);
      this.escrowRead = escrow[0]!;
      this.escrowWrite = escrow[1]!;
    } catch (error) {
      // The streams close their own fds; the rest are closed here.
      const viaStream = new Set(this.owned.map((o) => o.fd));
      this.release();
      for (const fd of opened) if (!viaStream.has(fd)) libc.close(fd);
      throw error;
    }
  }

  private own(fd: number, mode: 'r' | 'w'): void {
    const file = this.stdio.fdopen(fd, mode);
    if (!file) throw new Error('fdopen failed');
    const key = this.stdio.createFcloseKey();
    this.stdio.setSpecific(key, file);
    this.owned.push({ file, key, fd });
  }

  /** Moves one byte from the jobserver into the escrow pipe, and says which it was. */
  taking(read: () => TakeResult): TakeResult {
    if (this.closed) return read();
    if (!this.start()) return this.fallback ? this.fallback.taking(read) : read();
    const { EINTR, EAGAIN } = this.libc.constants;
    for (;;) {
      const n = this.libc.splice(this.jobserverRead, this.escrowWrite, 1);
      if (n === 1) {
        this.held++;
        return this.newest();
      }
      if (n === 0) return 'eof';
      const errno = this.libc.errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) return 'empty';
      // Not a pipe after all (splice says EINVAL): read as before, without the lifeline.
      return read();
    }
  }

  /** The newest byte in the escrow pipe (the one just taken), read through a copy. */
  private newest(): number {
    const waiting = this.libc.pending(this.escrowRead);
    const copied = this.libc.tee(this.escrowRead, this.scratch[1]!, waiting);
    const bytes = Buffer.alloc(Math.max(copied, 1));
    let got = 0;
    while (got < copied) {
      const n = this.libc.read(this.scratch[0]!, bytes.subarray(got), copied - got);
      if (n <= 0) break;
      got += n;
    }
    // '+' (make's token) if the copy failed: the byte itself is in the escrow pipe either way.
    return got > 0 ? bytes[got - 1]! : 0x2b;
  }

  /**
   * Gives a byte back: the escrow pipe's oldest, moved to the jobserver in
   * one splice. `write` is the usual path, for a byte that never went
   * through the escrow.
   */
  giving(byte: number, write: () => void): void {
    if (this.state === 'failed' && this.fallback) return this.fallback.giving(byte, write);
    if (this.closed || this.held === 0) return write();
    const writeFd = this.writeFd();
    const { EINTR, EAGAIN } = this.libc.constants;
    for (let attempt = 0; ; attempt++) {
      const n = this.libc.splice(this.escrowRead, writeFd, 1);
      if (n === 1) {
        this.held--;
        return;
      }
      const errno = this.libc.errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN && this.libc.pending(this.escrowRead) > 0 && attempt < 1000) {
        // The jobserver is full (64 KiB of tokens?): wait a little and retry.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      throw new Error(`giving a token back from the escrow failed (errno ${errno}, byte ${byte})`);
    }
  }

  /** Closes our ends: the lifeline process writes back anything still held and exits. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fallback?.close();
    if (this.state === 'started') this.release();
  }

  private release(): void {
    for (const { file, key } of this.owned.splice(0)) {
      this.stdio.setSpecific(key, null);
      this.stdio.deleteKey(key);
      this.stdio.fclose(file);
    }
  }
}
