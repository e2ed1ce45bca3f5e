// The naive ways to take a token in Node, for comparison with jobslot's
// client. Each opens its own private, non-blocking description of the
// jobserver named in MAKEFLAGS (a pipe through /proc/self/fd, or the fifo).
import { spawnSync } from 'node:child_process';
import { constants as fsc, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseMakeflags } from '@jobslot/core/server';

// koffi as @jobslot/core resolves it: one copy of the native module per process.
const require = createRequire(import.meta.resolve('@jobslot/core'));

export function openJobserver(makeflags = process.env.MAKEFLAGS ?? '') {
  const { auth } = parseMakeflags(makeflags);
  if (!auth || auth.kind === 'sem') throw new Error(`no usable jobserver in ${JSON.stringify(makeflags)}`);
  // By pid, not /proc/self: dd must open our pipe, not look in its own fds.
  const path = auth.kind === 'fifo' ? auth.path : `/proc/${process.pid}/fd/${auth.read}`;
  const read = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const write = openSync(`/proc/self/fd/${read}`, fsc.O_WRONLY | fsc.O_NONBLOCK);
  return { path, read, write };
}

let libc;
function koffiLibc() {
  if (!libc) {
    const koffi = require('koffi');
    const lib = koffi.load('libc.so.6');
    libc = {
      koffi,
      read: lib.func('long read(int, void *, size_t)'),
      write: lib.func('long write(int, const void *, size_t)'),
      poll: lib.func('int poll(void *, unsigned long, int)'),
    };
  }
  return libc;
}

/** Non-blocking fs.readSync: throws EAGAIN when no token is free. */
export function fsTry(js, buf) {
  try {
    return readSync(js.read, buf, 0, 1, null) === 1 ? buf[0] : null;
  } catch (error) {
    if (error.code === 'EAGAIN') return null;
    throw error;
  }
}
export function fsGive(js, buf) {
  writeSync(js.write, buf, 0, 1, null);
}

export function koffiTry(js, buf) {
  return Number(koffiLibc().read(js.read, buf, 1)) === 1 ? buf[0] : null;
}
export function koffiGive(js, buf) {
  koffiLibc().write(js.write, buf, 1);
}

/** koffi .async poll on the threadpool, then a non-blocking read; again on EAGAIN. */
export async function koffiAsyncAcquire(js, buf) {
  const { poll } = koffiLibc();
  const fds = Buffer.alloc(8);
  fds.writeInt32LE(js.read, 0);
  fds.writeInt16LE(1, 4);
  for (;;) {
    const t = koffiTry(js, buf);
    if (t !== null) return t;
    await new Promise((resolve, reject) => poll.async(fds, 1, 100, (err, rc) => (err ? reject(err) : resolve(rc))));
  }
}

/** Retry a non-blocking read every 5 ms. */
export async function timerAcquire(js, buf) {
  for (;;) {
    const t = koffiTry(js, buf);
    if (t !== null) return t;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The only prior JS client: spawn dd with a 100 ms timeout per try. */
export function ddTry(js) {
  const r = spawnSync('dd', ['bs=1', 'count=1', 'status=none', `if=${js.path}`], { timeout: 100, encoding: 'buffer' });
  return r.stdout && r.stdout.length === 1 ? r.stdout[0] : null;
}
export async function ddAcquire(js) {
  for (;;) {
    const t = ddTry(js);
    if (t !== null) return t;
    await new Promise((r) => setImmediate(r));
  }
}
