// `jobslot -j` on Windows: the semaphore it serves, against a scripted
// kernel32 (the real one runs under wine: test/windows-wine.test.ts).
import { describe, expect, it } from 'vitest';
import type { Kernel32 } from '../src/ffi/kernel32.js';
import { WAIT_OBJECT_0, WAIT_TIMEOUT } from '../src/ffi/kernel32.js';
import { parsePoolHint } from '../src/windows/pool-hint.js';
import { createSemaphoreJobserver } from '../src/windows/server.js';

/** Named semaphores: `taken` names exist already (someone else's). */
function scriptedKernel32(taken: string[] = []) {
  const sems = new Map<string, { count: number; max: number }>();
  const closed: string[] = [];
  const k32 = {
    createSemaphore: (name: string, initial: number, max: number) => {
      if (taken.includes(name)) return { handle: { name }, existed: true };
      sems.set(name, { count: initial, max });
      return { handle: { name }, existed: false };
    },
    wait: (h: { name: string }) => {
      const s = sems.get(h.name)!;
      return s.count > 0 ? (s.count--, WAIT_OBJECT_0) : WAIT_TIMEOUT;
    },
    release: (h: { name: string }) => {
      const s = sems.get(h.name)!;
      return s.count < s.max ? (s.count++, true) : false;
    },
    free: (h: { name: string }) => sems.get(h.name)?.count,
    close: (h: { name: string }) => void closed.push(h.name),
    lastError: () => 0,
  } as unknown as Kernel32;
  return { k32, sems, closed };
}

describe('createSemaphoreJobserver', () => {
  it('serves -jN as a semaphore of N-1 units, at most N-1, named in MAKEFLAGS', () => {
    const { k32, sems } = scriptedKernel32();
    const server = createSemaphoreJobserver({ jobs: 4 }, k32);
    expect(server.name).toBe(`jobslot_semaphore_${process.pid}`);
    expect(sems.get(server.name)).toEqual({ count: 3, max: 3 });
    expect(server.makeflags).toBe(` -j4 --jobserver-auth=${server.name}`);
    const env = server.env({ MAKEFLAGS: 'x', MFLAGS: 'y', CARGO_MAKEFLAGS: 'z', PATH: 'p' });
    // JOBSLOT_POOL: clients beneath with no make between share the one implicit slot (windows/pool-hint.ts).
    expect(env).toEqual({ MAKEFLAGS: server.makeflags, JOBSLOT_POOL: `${process.pid}:${server.name}`, PATH: 'p' });
    expect(server.stdio).toEqual([]);
  });

  it('never shares a name someone else has', () => {
    const { k32, closed } = scriptedKernel32([`jobslot_semaphore_${process.pid}`]);
    const server = createSemaphoreJobserver({ jobs: 2 }, k32);
    expect(server.name).toBe(`jobslot_semaphore_${process.pid}_1`);
    expect(closed).toEqual([`jobslot_semaphore_${process.pid}`]);
  });

  it('close() counts the units that came back', () => {
    const { k32, sems } = scriptedKernel32();
    const server = createSemaphoreJobserver({ jobs: 3 }, k32);
    sems.get(server.name)!.count = 1; // one still out
    expect(server.close()).toMatchObject({ returned: 1, lost: 1 });
    expect(server.close()).toMatchObject({ returned: 1, lost: 1 });
  });

  it('-j1: no units, and a maximum of 1 (Windows refuses 0)', () => {
    const { k32, sems } = scriptedKernel32();
    const server = createSemaphoreJobserver({ jobs: 1 }, k32);
    expect(sems.get(server.name)).toEqual({ count: 0, max: 1 });
    expect(server.close()).toMatchObject({ returned: 0, lost: 0 });
    expect(() => createSemaphoreJobserver({ jobs: 0 }, k32)).toThrow(RangeError);
  });

  it('a sub-pool (`jobslot run`): -jN in MAKEFLAGS, as many units as the tokens it holds, and never more', () => {
    const { k32, sems } = scriptedKernel32();
    const server = createSemaphoreJobserver({ jobs: 4, tokens: 1 }, k32);
    expect(server.makeflags).toBe(` -j4 --jobserver-auth=${server.name}`);
    expect(sems.get(server.name)).toEqual({ count: 1, max: 1 });
    expect(server.tokens).toBe(1);
    // A client giving back one it never took cannot grow it beyond what is held.
    expect(k32.release({ name: server.name })).toBe(false);
    expect(() => createSemaphoreJobserver({ jobs: 2, tokens: 2 }, k32)).toThrow(RangeError);
    expect(() => createSemaphoreJobserver({ jobs: 2, tokens: -1 }, k32)).toThrow(RangeError);
  });

  it('free(): units in the semaphore now, read without taking one (the pool trace)', () => {
    const { k32, sems } = scriptedKernel32();
    const server = createSemaphoreJobserver({ jobs: 3 }, k32);
    expect(server.free()).toBe(2);
    sems.get(server.name)!.count = 0;
    expect(server.free()).toBe(0);
    server.close();
    expect(server.free()).toBe(0);
  });

  it('close() says when one more came back than was handed out (none served, a maximum of 1)', () => {
    const { k32, sems } = scriptedKernel32();
    const server = createSemaphoreJobserver({ jobs: 3, tokens: 0 }, k32);
    sems.get(server.name)!.count = 1;
    expect(server.close()).toEqual({ returned: 1, lost: 0, extra: 1 });
  });

  it('JOBSLOT_POOL on Windows names a jobslot semaphore and its server, nothing else', () => {
    expect(parsePoolHint('123:jobslot_semaphore_45')).toEqual({ pid: 123, path: 'jobslot_semaphore_45' });
    expect(parsePoolHint('123:jobslot_semaphore_45_2')).toEqual({ pid: 123, path: 'jobslot_semaphore_45_2' });
    for (const bad of [undefined, '', '0:jobslot_semaphore_1', '1:gmake_semaphore_1', '1:/tmp/jobslot-x/fifo', '1:jobslot_semaphore_1\\x', 'x:jobslot_semaphore_1']) {
      expect(parsePoolHint(bad)).toBeUndefined();
    }
  });
});
