// The raw libc bindings: values that differ per architecture.
import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GETTID_SYSCALL, loadLibc } from '../src/ffi/libc.js';

describe('gettid', () => {
  it('is the process id on the main thread (F_SETOWN_EX sends SIGIO to it)', () => {
    expect(loadLibc().gettid()).toBe(process.pid);
    expect(Number(readlinkSync('/proc/thread-self').split('/').pop())).toBe(process.pid);
  });

  it('knows the syscall number for this architecture (186 is msgget on arm64)', () => {
    expect(GETTID_SYSCALL[process.arch]).toBeDefined();
    expect(GETTID_SYSCALL.arm64).toBe(178);
    expect(GETTID_SYSCALL.x64).toBe(186);
  });

});
