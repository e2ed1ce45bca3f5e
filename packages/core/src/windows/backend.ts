// The Windows backend: make's jobserver there is a named semaphore
// (`--jobserver-auth=gmake_semaphore_1234`). A token is one unit of the
// semaphore; it has no byte, so tokens carry '+' like make's.
//
// Waiting: a WaitForMultipleObjects on the libuv threadpool, one at a time.
// Unlike poll() it *takes* a unit when it returns, so that unit is stashed and
// handed out by the next take(), or given straight back when nobody waits any
// more. It waits for *all* of [semaphore, gate], the gate being a private
// semaphore of one unit, and takes both at once. To stop a wait, we take the
// gate ourselves: then the wait can no longer take a unit; or the gate is
// gone, and then the wait has taken a unit and we give it back. Either way we
// know at once, without the wait's callback, which on the exit path never
// runs: a unit taken in the instant before exit is not lost with the process.
// A stopped wait ends at its time limit (WAIT_SLICE_MS), holding a threadpool
// thread until then. Tested for real under wine (test/windows-wine.test.ts),
// and its state machine against a scripted kernel32.
import type { Backend, TakeResult } from '../backend.js';
import { JobserverError } from '../errors.js';
import { ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE, type Kernel32, loadKernel32, WAIT_OBJECT_0, WAIT_TIMEOUT } from '../ffi/kernel32.js';

const TOKEN_BYTE = 0x2b; // '+'
/** How long one async wait lasts at most: a stopped wait holds a threadpool thread that long. */
const WAIT_SLICE_MS = 250;

export class WindowsBackend implements Backend {
  readonly style = 'sem' as const;
  private readonly k32: Kernel32;
  private readonly handle: unknown;
  /** Units a finished async wait took on our behalf, not yet handed out. */
  private stash = 0;
  private watching: { stop(): void } | undefined;
  private closed = false;

  constructor(name: string, kernel32?: Kernel32) {
    this.k32 = kernel32 ?? loadKernel32();
    const handle = this.k32.openSemaphore(name);
    if (!handle) throw openError(name, this.k32.lastError());
    this.handle = handle;
  }

  take(): TakeResult {
    if (this.closed) return 'eof';
    if (this.stash > 0) {
      this.stash--;
      return TOKEN_BYTE;
    }
    const rc = this.k32.wait(this.handle, 0);
    if (rc === WAIT_OBJECT_0) return TOKEN_BYTE;
    if (rc === WAIT_TIMEOUT) return 'empty';
    throw new JobserverError('closed', `waiting on the jobserver semaphore failed (error ${this.k32.lastError()})`);
  }

  give(_byte: number): void {
    if (!this.k32.release(this.handle)) {
      throw new JobserverError('closed', `releasing the jobserver semaphore failed (error ${this.k32.lastError()})`);
    }
  }

  watch(onReady: () => void): () => void {
    if (this.watching) throw new Error('WindowsBackend: already watching');
    // One unit: a wait may complete only while it can take the gate too.
    const gate = this.k32.createSemaphore(null, 1, 1).handle;
    let stopped = false;
    let inFlight: { settled: boolean } | undefined;
    const arm = () => {
      const wait = { settled: false };
      inFlight = wait;
      this.k32.waitAllAsync([this.handle, gate], WAIT_SLICE_MS, (_err, rc) => {
        inFlight = undefined;
        // Waiting for all, any of WAIT_OBJECT_0 + 0..n-1 means all were taken.
        if (rc >= WAIT_OBJECT_0 && rc < WAIT_OBJECT_0 + 2 && !wait.settled) {
          // Took a unit (and the gate: reopen it for the next wait).
          this.k32.release(gate);
          if (this.closed || stopped) this.giveBack();
          else this.stash++;
        }
        // stop() saw this wait in flight and left closing the gate to us.
        if (stopped) return this.k32.close(gate);
        onReady();
        // Wait again only after the client's own microtasks: when the waiters
        // onReady served were the last, the client stops the watch first, and
        // no wait is left in flight to take the next unit someone frees.
        queueMicrotask(() => {
          if (!stopped) arm();
        });
      });
    };
    queueMicrotask(onReady);
    arm();
    const watcher = {
      stop: () => {
        if (stopped) return;
        stopped = true;
        if (!inFlight) return this.k32.close(gate);
        // Settle the wait in flight now, for certain, whether or not its
        // callback ever runs (on the exit path it never does): if we get the
        // gate, the wait can no longer take a unit (it ends at its time
        // limit); if the wait has the gate, it has taken a unit, which nobody
        // here wants now, so it goes straight back.
        if (this.k32.wait(gate, 0) !== WAIT_OBJECT_0) {
          inFlight.settled = true;
          this.giveBack();
        }
      },
    };
    this.watching = watcher;
    return () => {
      if (this.watching === watcher) this.watching = undefined;
      watcher.stop();
    };
  }

  waitSync(timeoutMs: number): void {
    const rc = this.k32.wait(this.handle, Math.max(0, Math.ceil(timeoutMs)));
    if (rc === WAIT_OBJECT_0) this.stash++;
  }

  idle(): void {
    // A semaphore has no end to see.
  }

  close(): void {
    if (this.closed) return;
    this.watching?.stop();
    this.closed = true;
    // Units taken by a wait but never handed out go straight back.
    for (; this.stash > 0; this.stash--) this.give(TOKEN_BYTE);
    this.k32.close(this.handle);
  }

  /** Gives back a unit no one asked for; from a wait's callback, so it must not throw. */
  private giveBack(): void {
    try {
      this.give(TOKEN_BYTE);
    } catch {
      // The semaphore is unusable: the next take() says so.
    }
  }
}

function openError(name: string, error: number): JobserverError {
  if (error === ERROR_FILE_NOT_FOUND) {
    return new JobserverError(
      'cannot-open',
      `no semaphore named ${name}: the make that created it has exited, or MAKEFLAGS was inherited from elsewhere (unset MAKEFLAGS when not under make)`,
    );
  }
  if (error === ERROR_INVALID_HANDLE) {
    return new JobserverError('cannot-open', `${name} is not a semaphore (another kind of object has that name): check --jobserver-auth in MAKEFLAGS`);
  }
  return new JobserverError('cannot-open', `cannot open the jobserver semaphore ${name} (error ${error})`);
}
