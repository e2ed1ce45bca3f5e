// The process-wide wake-up on Linux: signal-driven I/O (O_ASYNC + F_SETOWN_EX
// + F_SETSIG on a private description of the jobserver) makes the kernel send
// a signal when a token is written, and libuv delivers it to the event loop.
// One listener per process, whichever copy of core (ESM, CJS) installs it:
// its targets live in the registry, so two copies share one listener.
import { processRecord } from '../state.js';

const LINUX = process.platform === 'linux';

/**
 * The signal the kernel sends when the jobserver becomes readable. On Linux,
 * F_SETSIG makes it SIGURG rather than SIGIO: SIGURG's default action is to
 * be ignored, so if a program removes our listener (removeAllListeners) a
 * late signal costs nothing, where SIGIO's default kills the process ("I/O
 * possible", status 157). Our listener is put back while a wait goes on.
 */
export const WAKE_SIGNAL: NodeJS.Signals = LINUX ? 'SIGURG' : 'SIGIO';

interface WakeRecord {
  /** what each watching backend wants called when the signal comes */
  targets: Set<() => void>;
  /** the one listener, made by whichever copy of core came first */
  listener: () => void;
  /** the main thread's id (F_SETOWN_EX sends the signal to it) */
  mainTid: number | undefined;
}

export function wakeRecord(): WakeRecord {
  return processRecord<WakeRecord>(
    'posix.wake',
    () => {
      const targets = new Set<() => void>();
      return { targets, listener: () => { for (const target of [...targets]) target(); }, mainTid: undefined };
    },
    { keep: true },
  );
}

/** (Re)installs the listener; never removed by us. */
export function listenForWakeSignal(): void {
  const { listener } = wakeRecord();
  if (!process.listeners(WAKE_SIGNAL).includes(listener)) process.on(WAKE_SIGNAL, listener);
}

/** Calls `target` on every wake-up signal until the returned function is called. */
export function onWakeSignal(target: () => void): () => void {
  listenForWakeSignal();
  const { targets } = wakeRecord();
  targets.add(target);
  return () => targets.delete(target);
}
