// Gives every held token back before the process goes: on process.exit, on an
// uncaught exception, and on SIGINT, SIGTERM and SIGHUP (re-raised after, so
// the exit status still says which signal ended us). Only when it goes: a
// program that handles the signal or the exception itself and lives on keeps
// its tokens and its waits.
//
// Process-wide on purpose: one set of handlers however many clients (and
// however many copies of this package, ESM and CJS) a process has.

import { processRecord } from './state.js';
import { trace } from './trace.js';

/** Gives back what its owner holds; called once, when the process goes. */
export type Releaser = () => void;

interface ExitRegistry {
  releasers: Set<() => void>;
  /** run last, after the releasers, when the process is about to die of a signal */
  beforeSignalDeath: Set<() => void>;
  /** the process listeners are in place (they stay for the process's life) */
  installed: boolean;
  /** names a termination signal that has come but not yet reached JavaScript (posix/pending-signal.ts) */
  pendingSignal: (() => NodeJS.Signals | undefined) | undefined;
  /** the process is giving everything back before it dies of a signal */
  dying: boolean;
}

const registry = (): ExitRegistry =>
  processRecord<ExitRegistry>('exit', () => ({ releasers: new Set(), beforeSignalDeath: new Set(), installed: false, pendingSignal: undefined, dying: false }), { keep: true });

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function releaseAll(): void {
  const { releasers } = registry();
  if (releasers.size === 0) return;
  // Slots still running end with the process: say so, or a trace would count them forever.
  trace('exit');
  callEach(releasers);
}

/** Calls each function; one that throws does not stop the others (the other clients' tokens matter too). */
function callEach(fns: Set<() => void>): void {
  for (const fn of [...fns]) {
    try {
      fn();
    } catch {
      // keep going
    }
  }
}

/** Marks our listener, whichever copy of this package (ESM or CJS) installed it. */
const OURS = Symbol.for('jobslot.exit.onSignal');

function onSignal(signal: NodeJS.Signals): void {
  // If the program listens for this signal itself, it decides what happens:
  // it may live on (then its tokens are still in use, and its waits must go
  // on) or exit (then the 'exit' hook gives everything back).
  const others = process.listeners(signal).filter((l) => !(OURS in l));
  if (others.length > 0) return;
  // Giving a token back looks for a pending signal: once is enough.
  const exit = registry();
  if (exit.dying) return;
  exit.dying = true;
  // Otherwise do what the default would have done, after the release: die of the signal.
  releaseAll();
  callEach(registry().beforeSignalDeath);
  for (const s of SIGNALS) {
    for (const l of process.listeners(s)) if (OURS in l) process.removeListener(s, l);
  }
  process.kill(process.pid, signal);
}

Object.defineProperty(onSignal, OURS, { value: true });

/**
 * A signal that came while JavaScript was busy may still wait for the event
 * loop, which will not turn again: die of it, as the process would have
 * without our listener, rather than exit 0 (make would count it a success).
 */
function onExit(): void {
  dieOfPendingSignal();
  releaseAll();
  // exit() flushes the worker threads' escrows too, but without taking their
  // locks: a worker moving a byte meanwhile could lose it. The hooks flush
  // under the locks, after making sure no thread can take another token.
  callEach(registry().beforeSignalDeath);
}

/** The process dies of this exception unless the program catches it (then it lives on, tokens in use). */
function onUncaught(): void {
  if (process.listenerCount('uncaughtException') > 0 || process.hasUncaughtExceptionCaptureCallback()) return;
  releaseAll();
}

function install(): void {
  const exit = registry();
  if (exit.installed) return;
  exit.installed = true;
  process.on('exit', onExit);
  // The monitor runs before Node prints the error and exits; it changes nothing else.
  process.on('uncaughtExceptionMonitor', onUncaught);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/**
 * Registers a function that gives back what its owner holds when the process
 * goes (exit, uncaught exception, SIGINT/SIGTERM/SIGHUP); returns an
 * unregister. For plugins that hold resources tied to tokens (a service sized
 * to them): a listener of their own on SIGINT would stop the signal from being
 * re-raised.
 */
export function onProcessExit(release: Releaser): () => void {
  install();
  const { releasers } = registry();
  releasers.add(release);
  return () => releasers.delete(release);
}

/**
 * Registers a function run when the process is about to die of a signal,
 * after every releaser: no exit() runs on that path, so what libc would do at
 * exit (flush the worker threads' escrows, escrow.ts) must be done here. Run
 * on process.exit too: exit()'s own flush takes no stream's lock.
 */
export function beforeSignalDeath(last: () => void): void {
  install();
  registry().beforeSignalDeath.add(last);
}

/**
 * Registers how to see a termination signal that has reached the process but
 * not yet its JavaScript (pending-signal.ts; the main thread on Linux).
 */
export function watchPendingSignals(peek: () => NodeJS.Signals | undefined): void {
  install();
  registry().pendingSignal ??= peek;
}

/**
 * For the synchronous paths (a blocking wait, a token given back, the exit):
 * if SIGINT, SIGTERM or SIGHUP came while JavaScript was busy and the program
 * does not listen for it itself, give everything back and die of it now, as
 * node's default action would have done when it came.
 */
export function dieOfPendingSignal(): void {
  const signal = registry().pendingSignal?.();
  if (signal) onSignal(signal);
}
