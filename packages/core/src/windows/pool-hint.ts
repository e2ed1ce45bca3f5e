// JOBSLOT_POOL on Windows: how jobslot clients beneath one `jobslot run` (or
// `jobslot -j`) share the one implicit slot it was served with, as
// posix/pool-hint.ts does on Linux.
//
//   JOBSLOT_POOL=<pid of the server>:<name of its semaphore>
//
// A semaphore is found by its name in MAKEFLAGS, so the hint never names a
// pool to open: it only says that the semaphore MAKEFLAGS names is the one
// `jobslot run` serves. A runner that is not a jobserver client (turbo, a
// `start /b`) starts several jobs on one slot; jobslot clients with no
// make, cargo or ninja between them and the server contend for a named mutex
// beside the semaphore: one owns the implicit slot, the others run every job
// on a token. Windows hands the mutex on (abandoned) when its owner ends,
// however it ends, and a sibling that needs a slot takes it over.
import type { PoolHint } from '../backend.js';
import { loadKoffi } from '../ffi/load.js';

export function formatPoolHint(pid: number, semaphore: string): string {
  return `${pid}:${semaphore}`;
}

/** Parses JOBSLOT_POOL; undefined if absent or not a jobslot semaphore's. */
export function parsePoolHint(value: string | undefined): PoolHint | undefined {
  const match = /^([1-9]\d{0,9}):(jobslot_semaphore_\d+(?:_\d+)?)$/.exec(value ?? '');
  return match ? { pid: Number(match[1]), path: match[2]! } : undefined;
}

/** Runners that take a token for every job they start after the first: their jobs each have a slot. */
const JOBSERVER_RUNNERS = /^(?:g?make|mingw32-make|cargo|ninja|samu)(?:\.exe)?$/i;

/** Why a hint cannot be used, or undefined if its server is above this process. */
export function checkPoolHint(hint: PoolHint): string | undefined {
  return ancestorsUpTo(hint.pid) ? undefined : `process ${hint.pid} that serves ${hint.path} is not above this one`;
}

/** Is the semaphore MAKEFLAGS names (`named`) the pool the hint names? */
export function isPool(hint: PoolHint, named: number | string): boolean {
  return named === hint.path;
}

/** Beneath the server with no jobserver-aware runner in between: then the clients there share its implicit slot. */
export function sharesImplicitSlot(hint: PoolHint): boolean {
  const path = ancestorsUpTo(hint.pid);
  return path !== undefined && !path.some((p) => JOBSERVER_RUNNERS.test(p.exe));
}

/** Tries to own the pool's implicit slot: a named mutex this process holds until it ends. */
export function implicitSlotLock(hint: PoolHint): { won: boolean; retry: () => boolean } {
  let k: Api;
  try {
    k = load();
  } catch {
    // Cannot contend: behave as the owner would (make counted this process).
    return { won: true, retry: () => true };
  }
  const mutex = k.createMutex(`${hint.path}_implicit`);
  if (!mutex) return { won: true, retry: () => true };
  let won = false;
  const attempt = () => {
    if (won) return true;
    const rc = k.wait(mutex, 0);
    won = rc === WAIT_OBJECT_0 || rc === WAIT_ABANDONED;
    return won;
  };
  attempt();
  return { won, retry: attempt };
}

const WAIT_OBJECT_0 = 0;
const WAIT_ABANDONED = 0x80;

interface Api {
  /** pid -> [parent pid, exe name], from a snapshot of every process. */
  processes(): Map<number, [number, string]>;
  createMutex(name: string): unknown;
  wait(handle: unknown, ms: number): number;
}

let api: Api | undefined;

function load(): Api {
  if (api) return api;
  const koffi = loadKoffi();
  const lib = koffi.load('kernel32.dll');
  // Unnamed types: koffi's names are global to the process (see ffi/kernel32.ts).
  const HANDLE = koffi.pointer(koffi.opaque());
  const Entry = koffi.struct({
    dwSize: 'uint32',
    cntUsage: 'uint32',
    th32ProcessID: 'uint32',
    th32DefaultHeapID: 'uintptr_t',
    th32ModuleID: 'uint32',
    cntThreads: 'uint32',
    th32ParentProcessID: 'uint32',
    pcPriClassBase: 'int32',
    dwFlags: 'uint32',
    szExeFile: koffi.array('char16_t', 260, 'String'),
  });
  const CreateToolhelp32Snapshot = lib.func('__stdcall', 'CreateToolhelp32Snapshot', HANDLE, ['uint32', 'uint32']);
  const Process32FirstW = lib.func('__stdcall', 'Process32FirstW', 'bool', [HANDLE, koffi.inout(koffi.pointer(Entry))]);
  const Process32NextW = lib.func('__stdcall', 'Process32NextW', 'bool', [HANDLE, koffi.inout(koffi.pointer(Entry))]);
  const CloseHandle = lib.func('__stdcall', 'CloseHandle', 'bool', [HANDLE]);
  const CreateMutexW = lib.func('__stdcall', 'CreateMutexW', HANDLE, ['void *', 'bool', 'str16']);
  const WaitForSingleObject = lib.func('__stdcall', 'WaitForSingleObject', 'uint32', [HANDLE, 'uint32']);
  const TH32CS_SNAPPROCESS = 0x2;
  // (HANDLE)-1, read back as a signed or an unsigned address.
  const INVALID_HANDLE_VALUES = [-1n, 0xffffffffffffffffn];
  api = {
    processes() {
      const found = new Map<number, [number, string]>();
      const snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
      if (!snapshot || INVALID_HANDLE_VALUES.includes(koffi.address(snapshot))) return found;
      try {
        const entry: Record<string, unknown> = { dwSize: koffi.sizeof(Entry) };
        for (let ok = Process32FirstW(snapshot, entry); ok; ok = Process32NextW(snapshot, entry)) {
          found.set(entry.th32ProcessID as number, [entry.th32ParentProcessID as number, String(entry.szExeFile)]);
          entry.dwSize = koffi.sizeof(Entry);
        }
      } finally {
        CloseHandle(snapshot);
      }
      return found;
    },
    createMutex: (name) => CreateMutexW(null, false, name),
    wait: (handle, ms) => WaitForSingleObject(handle, ms) as number,
  };
  return api;
}

/** The processes between this one and `top` (its ancestor), nearest first; undefined if `top` is not an ancestor. */
function ancestorsUpTo(top: number): Array<{ pid: number; exe: string }> | undefined {
  let processes: Map<number, [number, string]>;
  try {
    processes = load().processes();
  } catch {
    return undefined;
  }
  const between: Array<{ pid: number; exe: string }> = [];
  let pid = processes.get(process.pid)?.[0] ?? process.ppid;
  for (let depth = 0; depth < 64 && pid > 0; depth++) {
    if (pid === top) return between;
    const entry = processes.get(pid);
    if (!entry) return undefined;
    between.push({ pid, exe: entry[1] });
    pid = entry[0];
  }
  return undefined;
}
