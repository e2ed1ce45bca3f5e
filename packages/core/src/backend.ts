// What the client needs from a platform: take a token without waiting, give
// one back, and be told when one may be ready. One implementation per
// platform: posix.ts (pipe and fifo) and windows.ts (semaphore).

/** A token's byte, 'empty' when none is free now, 'eof' when the jobserver is gone. */
export type TakeResult = number | 'empty' | 'eof';

export interface Backend {
  readonly style: 'pipe' | 'fifo' | 'sem';
  /** Takes one token without blocking. */
  take(): TakeResult;
  /** Gives a token back. Retries on EINTR/EAGAIN; throws if it cannot. */
  give(byte: number): void;
  /**
   * Calls `onReady` whenever a token may have become free (or the jobserver
   * closed); calls may be spurious, so the client takes with take(). Returns a
   * function that stops watching. At most one watch at a time.
   */
  watch(onReady: () => void): () => void;
  /** Blocks this thread until a token may be free or `timeoutMs` passes. */
  waitSync(timeoutMs: number): void;
  /**
   * This process holds no token now: let go of whatever keeps the jobserver
   * alive from our side (a private write end), so its end can be seen.
   */
  idle(): void;
  /**
   * Why the jobserver is known to be gone though its pipe shows no
   * end-of-file (its owner exited), else undefined. Asked now and then while
   * a wait lasts.
   */
  gone?(): string | undefined;
  close(): void;
}
