// What the client needs from a platform: open the jobserver the environment
// names, take a token without waiting, give one back, and be told when one
// may be ready. One folder per platform: posix/ (pipe and fifo) and windows/
// (semaphore), each with a platform.ts that client/platform.ts loads on that
// platform only.
import type { JobserverAuth } from './makeflags.js';

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

/** Where a `jobslot run` names its pool by path (posix/pool-hint.ts). */
export const POOL_VARIABLE = 'JOBSLOT_POOL';

/** JOBSLOT_POOL: the `jobslot run` pool a client is beneath (posix/pool-hint.ts). */
export interface PoolHint {
  /** The process serving the pool. */
  pid: number;
  /** The pool's fifo. */
  path: string;
}

/** One platform: how to open a jobserver there, and what it can prove about a `jobslot run` pool. */
export interface Platform {
  /** Opens the jobserver `auth` names, or throws the JobserverError that says why not. */
  open(auth: JobserverAuth, waitMode: 'signal' | 'poll' | undefined): Backend;
  /** Finding and sharing a `jobslot run` pool by path (POSIX; undefined elsewhere). */
  pools:
    | {
        parse(value: string | undefined): PoolHint | undefined;
        /** Why the hint cannot be used, or undefined if it names a live pool served above us. */
        check(hint: PoolHint): string | undefined;
        /** Is the descriptor (or path) the pool the hint names? */
        isPool(hint: PoolHint, fdOrPath: number | string): boolean;
        /** Beneath the server with no jobserver-aware runner between: the clients there share its implicit slot. */
        sharesImplicitSlot(hint: PoolHint): boolean;
        /** Contends for that implicit slot: whether this process won, and a retry. */
        implicitSlotLock(hint: PoolHint): { won: boolean; retry: () => boolean };
      }
    | undefined;
}
