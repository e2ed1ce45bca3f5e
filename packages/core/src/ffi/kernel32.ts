// The kernel32 calls behind a Windows (semaphore) jobserver.
import { loadKoffi } from './load.js';

export interface Kernel32 {
  /** OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, FALSE, name): a handle, or null. */
  openSemaphore(name: string): unknown;
  /** WaitForSingleObject(handle, ms): WAIT_OBJECT_0 (0), WAIT_TIMEOUT (0x102) or WAIT_FAILED. */
  wait(handle: unknown, timeoutMs: number): number;
  /**
   * WaitForMultipleObjects(wait all) on the libuv threadpool: WAIT_OBJECT_0
   * when it has taken every one of `handles` at once, or WAIT_TIMEOUT.
   */
  waitAllAsync(handles: unknown[], timeoutMs: number, cb: (err: unknown, result: number) => void): void;
  release(handle: unknown): boolean;
  /**
   * CreateSemaphoreW(NULL, initial, max, name; null: unnamed): a handle, or null. `existed`
   * when the name was taken already (GetLastError() == ERROR_ALREADY_EXISTS):
   * then the handle is to someone else's object.
   */
  createSemaphore(name: string | null, initial: number, max: number): { handle: unknown; existed: boolean };
  close(handle: unknown): void;
  lastError(): number;
  /**
   * The units free in a semaphore now, taking none (ntdll's NtQuerySemaphore;
   * the handle needs SEMAPHORE_QUERY_STATE, as one from createSemaphore has),
   * or undefined when it cannot be read.
   */
  free(handle: unknown): number | undefined;
}

export const WAIT_OBJECT_0 = 0;
export const WAIT_TIMEOUT = 0x102;
export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_INVALID_HANDLE = 6;
export const ERROR_ALREADY_EXISTS = 183;

let kernel32: Kernel32 | undefined;

export function loadKernel32(): Kernel32 {
  if (kernel32) return kernel32;
  const koffi = loadKoffi();
  const lib = koffi.load('kernel32.dll');
  // Unnamed: koffi's type names are global to the process, and any program
  // using koffi for Win32 has a 'HANDLE' of its own.
  const HANDLE = koffi.pointer(koffi.opaque());
  const OpenSemaphoreW = lib.func('__stdcall', 'OpenSemaphoreW', HANDLE, ['uint32', 'bool', 'str16']);
  const WaitForSingleObject = lib.func('__stdcall', 'WaitForSingleObject', 'uint32', [HANDLE, 'uint32']);
  const WaitForMultipleObjects = lib.func('__stdcall', 'WaitForMultipleObjects', 'uint32', ['uint32', koffi.pointer(HANDLE), 'bool', 'uint32']);
  const ReleaseSemaphore = lib.func('__stdcall', 'ReleaseSemaphore', 'bool', [HANDLE, 'long', 'void *']);
  const CreateSemaphoreW = lib.func('__stdcall', 'CreateSemaphoreW', HANDLE, ['void *', 'long', 'long', 'str16']);
  const CloseHandle = lib.func('__stdcall', 'CloseHandle', 'bool', [HANDLE]);
  const GetLastError = lib.func('__stdcall', 'GetLastError', 'uint32', []);
  // The one way to read a semaphore's count without taking a unit (what a
  // pool trace needs). Also unnamed, for the same reason as HANDLE.
  const BasicInformation = koffi.struct({ current: 'long', maximum: 'long' });
  const NtQuerySemaphore = koffi
    .load('ntdll.dll')
    .func('__stdcall', 'NtQuerySemaphore', 'long', [HANDLE, 'int', koffi.out(koffi.pointer(BasicInformation)), 'ulong', 'void *']);
  const SYNCHRONIZE = 0x00100000;
  const SEMAPHORE_MODIFY_STATE = 0x0002;
  kernel32 = {
    openSemaphore: (name) => OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, false, name),
    wait: (handle, ms) => WaitForSingleObject(handle, ms) as number,
    waitAllAsync: (handles, ms, cb) => WaitForMultipleObjects.async(handles.length, handles, true, ms, cb),
    release: (handle) => ReleaseSemaphore(handle, 1, null) as boolean,
    createSemaphore: (name, initial, max) => {
      const handle = CreateSemaphoreW(null, initial, max, name);
      return { handle, existed: !!handle && GetLastError() === ERROR_ALREADY_EXISTS };
    },
    close: (handle) => void CloseHandle(handle),
    lastError: () => GetLastError() as number,
    free: (handle) => {
      const info: { current?: number } = {};
      // SemaphoreBasicInformation is class 0; a status of 0 is STATUS_SUCCESS.
      return NtQuerySemaphore(handle, 0, info, koffi.sizeof(BasicInformation), null) === 0 ? info.current : undefined;
    },
  };
  return kernel32;
}
