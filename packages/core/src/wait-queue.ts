// The one abortable FIFO wait queue of jobslot: a job waiting for a slot of a
// pool, a pool waiting for the jobserver's token, a caller of
// `client.acquire()`. Whoever has something to hand out serves the oldest
// waiter; a waiter whose signal aborts (or whose time runs out) leaves the
// queue at once, so nothing is ever handed to someone who stopped waiting.
import { abortError } from './errors.js';

export interface WaitOptions<T> {
  /** Aborts the wait: the promise rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
  /** Gives up after `ms` and resolves `value` (Infinity or absent: waits for ever). */
  timeout?: { ms: number; value: T };
  /** Called after the waiter left without being served (aborted, timed out). */
  onLeave?: () => void;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/** The longest delay setTimeout takes; longer ones overflow to 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class WaitQueue<T> {
  /** Oldest first; a Set so a waiter that gives up leaves in O(1). */
  private readonly waiters = new Set<Waiter<T>>();

  get length(): number {
    return this.waiters.size;
  }

  /** Waits until `serve()` hands this waiter a value. */
  wait(options: WaitOptions<T> = {}): Promise<T> {
    const { signal, timeout, onLeave } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = (settle: () => void) => {
        if (!this.waiters.delete(waiter)) return;
        waiter.cleanup();
        settle();
        onLeave?.();
      };
      const onAbort = () => leave(() => reject(abortError(signal!)));
      const waiter: Waiter<T> = {
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      if (timeout && Number.isFinite(timeout.ms)) {
        // setTimeout takes at most 2^31-1 ms (about 24.8 days): longer waits
        // go in steps instead of overflowing to 1 ms.
        const deadline = performance.now() + timeout.ms;
        const arm = (ms: number) => {
          timer = setTimeout(() => {
            const left = deadline - performance.now();
            if (left > 0) return arm(left);
            leave(() => resolve(timeout.value));
          }, Math.min(Math.ceil(ms), MAX_TIMER_MS));
        };
        arm(timeout.ms);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Hands `value` to the oldest waiter; false if nobody waits. */
  serve(value: T): boolean {
    const first = this.waiters.values().next();
    if (first.done) return false;
    const waiter = first.value;
    this.waiters.delete(waiter);
    waiter.cleanup();
    waiter.resolve(value);
    return true;
  }

  /** Serves waiters, oldest first, while `next()` has something for them. */
  serveWhile(next: () => T | undefined): void {
    while (this.waiters.size > 0) {
      const value = next();
      if (value === undefined) return;
      this.serve(value);
    }
  }

  /** Every waiter resolves `value`. */
  resolveAll(value: T): void {
    for (const waiter of this.drain()) waiter.resolve(value);
  }

  /** Every waiter rejects with `error`. */
  rejectAll(error: unknown): void {
    for (const waiter of this.drain()) waiter.reject(error);
  }

  private drain(): Waiter<T>[] {
    const all = [...this.waiters];
    this.waiters.clear();
    for (const waiter of all) waiter.cleanup();
    return all;
  }
}
