// The Windows backend's state machine, against a scripted kernel32 (the real
// one runs under wine: test/windows-wine.test.ts).
import { describe, expect, it } from 'vitest';
import type { Kernel32 } from '../src/ffi/kernel32.js';
import { WAIT_OBJECT_0, WAIT_TIMEOUT } from '../src/ffi/kernel32.js';
import { WindowsBackend } from '../src/windows.js';

/** A semaphore with `count` units, and a queue of async waits we complete by hand. */
function scriptedKernel32(count: number) {
  const state = { count, opened: [] as string[], closed: 0, events: 0, pendingWaits: [] as Array<(signaled: 'unit' | 'cancel') => void>, setEvents: 0 };
  const k32: Kernel32 = {
    openSemaphore: (name) => (state.opened.push(name), name === 'missing' ? null : { sem: name }),
    createSemaphore: () => ({ handle: null, existed: false }),
    wait: (_h, _ms) => (state.count > 0 ? (state.count--, WAIT_OBJECT_0) : WAIT_TIMEOUT),
    // Completed by hand: the result is the index of what was signaled, as WaitForMultipleObjects says.
    waitAnyAsync: (handles, _ms, cb) =>
      void state.pendingWaits.push((signaled) => {
        const index = handles.findIndex((h) => (signaled === 'unit' ? 'sem' in (h as object) : 'event' in (h as object)));
        if (signaled === 'unit') state.count--;
        cb(null, WAIT_OBJECT_0 + index);
      }),
    release: () => (state.count++, true),
    createEvent: () => ({ event: ++state.events }),
    setEvent: () => (state.setEvents++, true),
    close: () => void state.closed++,
    lastError: () => 2,
  };
  return { k32, state };
}

describe('WindowsBackend', () => {
  it('takes and gives units of the semaphore, with make\'s + byte', () => {
    const { k32, state } = scriptedKernel32(2);
    const b = new WindowsBackend('gmake_semaphore_1', k32);
    expect(state.opened).toEqual(['gmake_semaphore_1']);
    expect(b.take()).toBe(0x2b);
    expect(b.take()).toBe(0x2b);
    expect(b.take()).toBe('empty');
    b.give(0x2b);
    expect(state.count).toBe(1);
  });

  it('a semaphore that cannot be opened is a typed error', () => {
    const { k32 } = scriptedKernel32(0);
    expect(() => new WindowsBackend('missing', k32)).toThrow(expect.objectContaining({ kind: 'cannot-open' }));
  });

  it('a unit taken by an async wait is stashed and handed out by the next take()', async () => {
    const { k32, state } = scriptedKernel32(1);
    const b = new WindowsBackend('s', k32);
    let ready = 0;
    const stop = b.watch(() => ready++);
    await Promise.resolve();
    expect(ready).toBe(1); // the first look
    expect(state.pendingWaits).toHaveLength(1);
    state.pendingWaits.shift()!('unit'); // the wait took a unit
    expect(ready).toBe(2);
    expect(b.take()).toBe(0x2b);
    expect(b.take()).toBe('empty');
    await Promise.resolve();
    expect(state.pendingWaits).toHaveLength(1); // waiting again
    stop();
    expect(state.setEvents).toBe(1); // the in-flight wait is cancelled
  });

  it('a watch stopped by the client as it is told a unit is ready leaves no wait in flight', async () => {
    const { k32, state } = scriptedKernel32(1);
    const b = new WindowsBackend('s', k32);
    // The client serves its last waiter and stops watching (in a microtask, as JobClient does).
    const stop: () => void = b.watch(() => queueMicrotask(() => stop()));
    await Promise.resolve();
    state.pendingWaits.shift()!('unit');
    expect(b.take()).toBe(0x2b);
    await Promise.resolve();
    await Promise.resolve();
    expect(state.pendingWaits).toHaveLength(0); // no wait left to take the next unit freed
    expect(state.closed).toBe(1); // the cancel event, closed once
  });

  it('close() gives back units a wait took but nobody claimed', () => {
    const { k32, state } = scriptedKernel32(1);
    const b = new WindowsBackend('s', k32);
    b.watch(() => {});
    state.pendingWaits.shift()!('unit');
    b.close();
    expect(state.count).toBe(1);
  });

  it('a unit a stopped wait took goes straight back: nobody waits for it', () => {
    const { k32, state } = scriptedKernel32(1);
    const b = new WindowsBackend('s', k32);
    const stop = b.watch(() => {});
    stop(); // the wait is in flight: cancelled...
    state.pendingWaits.shift()!('unit'); // ...but a unit came free first, and it took it
    expect(state.count).toBe(1);
    expect(state.closed).toBe(1); // the cancel event
  });

  it('a semaphore that cannot be opened says why', () => {
    const k32 = (error: number) => ({ ...scriptedKernel32(0).k32, lastError: () => error });
    expect(() => new WindowsBackend('missing', k32(2))).toThrow(/no semaphore named missing/);
    expect(() => new WindowsBackend('missing', k32(6))).toThrow(/missing is not a semaphore/);
    expect(() => new WindowsBackend('missing', k32(5))).toThrow(/cannot open the jobserver semaphore missing \(error 5\)/);
  });
});
