// The Windows backend's state machine, against a scripted kernel32 (the real
// one runs under wine: test/windows-wine.test.ts).
import { describe, expect, it } from 'vitest';
import type { Kernel32 } from '../src/ffi/kernel32.js';
import { WAIT_OBJECT_0, WAIT_TIMEOUT } from '../src/ffi/kernel32.js';
import { WindowsBackend } from '../src/windows/backend.js';

/**
 * Semaphores by handle: the jobserver's (`count` units) and the backend's
 * gates. Async waits (wait for all) are completed by hand: `took()` as the
 * threadpool's wait would, taking one unit of each handle at once.
 */
function scriptedKernel32(count: number) {
  const units = new Map<object, number>();
  const state = { opened: [] as string[], closed: 0, pendingWaits: [] as Array<{ handles: object[]; cb: (rc: number) => void }> };
  const k32: Kernel32 = {
    openSemaphore: (name) => {
      state.opened.push(name);
      if (name === 'missing') return null;
      const sem = { sem: name };
      units.set(sem, count);
      return sem;
    },
    createSemaphore: (_name, initial) => {
      const gate = { gate: units.size };
      units.set(gate, initial);
      return { handle: gate, existed: false };
    },
    wait: (h) => (units.get(h as object)! > 0 ? (units.set(h as object, units.get(h as object)! - 1), WAIT_OBJECT_0) : WAIT_TIMEOUT),
    waitAllAsync: (handles, _ms, cb) => void state.pendingWaits.push({ handles: handles as object[], cb: (rc) => cb(null, rc) }),
    release: (h) => (units.set(h as object, units.get(h as object)! + 1), true),
    close: () => void state.closed++,
    lastError: () => 2,
    free: (h) => units.get(h as object),
  };
  const sem = () => [...units.keys()].find((h) => 'sem' in h)!;
  const gate = () => [...units.keys()].filter((h) => 'gate' in h).at(-1)!;
  /** The threadpool's wait takes a unit of each handle at once, if all have one; its callback runs later, or never. */
  const takeAll = () => {
    const wait = state.pendingWaits[0]!;
    if (!wait.handles.every((h) => units.get(h)! > 0)) throw new Error('the wait cannot complete');
    for (const h of wait.handles) units.set(h, units.get(h)! - 1);
    return () => state.pendingWaits.shift()!.cb(WAIT_OBJECT_0);
  };
  const timeOut = () => state.pendingWaits.shift()!.cb(WAIT_TIMEOUT);
  return { k32, state, units, sem, gate, takeAll, timeOut };
}

describe('WindowsBackend', () => {
  it('takes and gives units of the semaphore, with make\'s + byte', () => {
    const { k32, state, units, sem } = scriptedKernel32(2);
    const b = new WindowsBackend('gmake_semaphore_1', k32);
    expect(state.opened).toEqual(['gmake_semaphore_1']);
    expect(b.take()).toBe(0x2b);
    expect(b.take()).toBe(0x2b);
    expect(b.take()).toBe('empty');
    b.give(0x2b);
    expect(units.get(sem())).toBe(1);
  });

  it('a semaphore that cannot be opened is a typed error', () => {
    const { k32 } = scriptedKernel32(0);
    expect(() => new WindowsBackend('missing', k32)).toThrow(expect.objectContaining({ kind: 'cannot-open' }));
  });

  it('a unit taken by an async wait is stashed and handed out by the next take()', async () => {
    const { k32, state, units, sem, gate, takeAll } = scriptedKernel32(1);
    const b = new WindowsBackend('s', k32);
    let ready = 0;
    const stop = b.watch(() => ready++);
    await Promise.resolve();
    expect(ready).toBe(1); // the first look
    expect(state.pendingWaits).toHaveLength(1);
    expect(state.pendingWaits[0]!.handles).toEqual([sem(), gate()]);
    takeAll()(); // the wait took a unit (and the gate), and tells us
    expect(ready).toBe(2);
    expect(units.get(gate())).toBe(1); // reopened for the next wait
    expect(b.take()).toBe(0x2b);
    expect(b.take()).toBe('empty');
    await Promise.resolve();
    expect(state.pendingWaits).toHaveLength(1); // waiting again
    stop();
    expect(units.get(gate())).toBe(0); // we hold the gate: the wait cannot take a unit now
  });

  it('close() gives back units a wait took but nobody claimed', () => {
    const { k32, units, sem, takeAll } = scriptedKernel32(1);
    const b = new WindowsBackend('s', k32);
    b.watch(() => {});
    takeAll()();
    expect(units.get(sem())).toBe(0);
    b.close();
    expect(units.get(sem())).toBe(1);
  });

  it('stopping a wait that has taken a unit gives it back at once, with no callback (the exit path)', () => {
    const { k32, units, sem, takeAll } = scriptedKernel32(1);
    const b = new WindowsBackend('s', k32);
    const stop = b.watch(() => {});
    const callback = takeAll(); // taken; the event loop has not heard of it (the process is exiting)
    stop();
    expect(units.get(sem())).toBe(1);
    callback(); // if the callback does run after all, it knows the unit is settled
    expect(units.get(sem())).toBe(1);
    expect(b.take()).toBe(0x2b); // from the semaphore: nothing was stashed
    expect(b.take()).toBe('empty');
  });

  it('a stopped wait can no longer take a unit freed after it, and closes its gate when it ends', () => {
    const { k32, state, units, sem, takeAll, timeOut } = scriptedKernel32(0);
    const b = new WindowsBackend('s', k32);
    const stop = b.watch(() => {});
    stop();
    units.set(sem(), 1); // a sibling frees a unit
    expect(() => takeAll()).toThrow('the wait cannot complete');
    timeOut();
    expect(state.closed).toBe(1);
    expect(units.get(sem())).toBe(1);
  });

  it('a watch stopped by the client as it is told a unit is ready leaves no wait behind', async () => {
    const { k32, state, takeAll } = scriptedKernel32(1);
    const b = new WindowsBackend('s', k32);
    // The client serves its last waiter and stops watching (in a microtask, as JobClient does).
    const stop: () => void = b.watch(() => queueMicrotask(() => stop()));
    await Promise.resolve();
    takeAll()();
    expect(b.take()).toBe(0x2b);
    await Promise.resolve();
    await Promise.resolve();
    expect(state.pendingWaits).toHaveLength(0); // no wait left to take the next unit freed
    expect(state.closed).toBe(1); // the gate, closed once
  });

  it('a semaphore that cannot be opened says why', () => {
    const k32 = (error: number) => ({ ...scriptedKernel32(0).k32, lastError: () => error });
    expect(() => new WindowsBackend('missing', k32(2))).toThrow(/no semaphore named missing/);
    expect(() => new WindowsBackend('missing', k32(6))).toThrow(/missing is not a semaphore/);
    expect(() => new WindowsBackend('missing', k32(5))).toThrow(/cannot open the jobserver semaphore missing \(error 5\)/);
  });
});
