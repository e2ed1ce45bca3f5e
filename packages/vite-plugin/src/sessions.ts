// One build session per environment (vite 6+ builds several; rollup and
// rolldown one): hook calls waiting for a slot listen on the session's signal,
// so a build that fails or ends takes no more tokens for calls still queued.
import { setMaxListeners } from 'node:events';

export class Sessions {
  readonly #byName = new Map<string, AbortController>();

  /** Starts a fresh session for `name`, ending the one before (a rebuild in watch mode). */
  start(name: string): void {
    this.end(name);
    const session = new AbortController();
    // Every hook call waiting for a slot listens on it: hundreds, not a leak.
    setMaxListeners(0, session.signal);
    this.#byName.set(name, session);
  }

  /** Aborts the calls of `name`'s session still waiting for a slot. */
  end(name: string, why = `the ${name || 'vite'} build ended`): void {
    this.#byName.get(name)?.abort(new Error(`jobslot: ${why}`));
    this.#byName.delete(name);
  }

  signal(name: string): AbortSignal | undefined {
    return this.#byName.get(name)?.signal;
  }
}
