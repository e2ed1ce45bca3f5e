// Every way the environment can fail to give us a usable jobserver, typed.
// Modelled on jobserver-rs's FromEnvErrorKind: callers (and tests) match on
// `kind`; the message is what the one warning says.

export type JobserverErrorKind =
  /** No MAKEFLAGS, MFLAGS or CARGO_MAKEFLAGS, or none names a jobserver. */
  | 'no-jobserver'
  /** `--jobserver-auth=` is there but its value cannot be parsed. */
  | 'cannot-parse'
  /** make passes `-2,-2` (or other negative fds): it is running `-j1` or the recipe lacks `+`. */
  | 'negative-fd'
  /** A named descriptor is not open in this process. */
  | 'closed-fd'
  /** A named descriptor is open but is not a pipe or fifo (a file, a socket, a tty...). */
  | 'not-a-pipe'
  /** The read and write descriptors are two different pipes. */
  | 'different-pipes'
  /** A descriptor is open with the wrong access mode (reading a write end, or the reverse). */
  | 'wrong-access-mode'
  /**
   * The pipe is not the jobserver's: no ancestor holds it (the fd numbers were
   * reused), or a `fifo:` path reaches another process's pipe (`/proc/PID/fd/N`)
   * that no ancestor holds both ends of.
   */
  | 'foreign-pipe'
  /** `fifo:PATH` is relative or holds control characters: not a path make would hand out. */
  | 'unsafe-path'
  /** `fifo:PATH` names a path that does not exist. */
  | 'missing-fifo'
  /** `fifo:PATH` names something that is not a fifo. */
  | 'not-a-fifo'
  /** The jobserver could not be opened (permissions, ...). */
  | 'cannot-open'
  /** The platform cannot use this kind of jobserver (a fifo on Windows, a semaphore on POSIX). */
  | 'unsupported'
  /** The FFI library could not be loaded. */
  | 'no-ffi'
  /** The jobserver went away (its pipe reached end-of-file). */
  | 'closed';

/** Marks every JobserverError, whichever copy of this package (ESM, CJS) made it. */
const BRAND = Symbol.for('jobslot.JobserverError');

export class JobserverError extends Error {
  override readonly name = 'JobserverError';
  constructor(
    readonly kind: JobserverErrorKind,
    message: string,
    /** The variable the jobserver was named in (MAKEFLAGS, MFLAGS, CARGO_MAKEFLAGS), when one was. */
    readonly variable?: string,
  ) {
    super(message);
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `instanceof` holds across the ESM and CJS builds, which each have their own class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** What `acquire()` rejects with when its AbortSignal fires: a DOMException named AbortError. */
export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
