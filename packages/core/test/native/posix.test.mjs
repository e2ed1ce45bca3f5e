// The POSIX client against real fifos and pipes, with node's own test runner
// and the built library only (no vitest, no bundler): small enough to run
// under emulation on another architecture (scripts/test-arm64.sh runs it on
// linux-arm64 under qemu). Run directly: `node packages/core/test/native/posix.test.mjs`.
//
// JOBSLOT_EXEC_PREFIX: words to put before process.execPath when spawning a
// child node (e.g. "qemu-aarch64-static -L /usr/aarch64-linux-gnu"): an
// emulated process cannot exec a foreign binary by itself without binfmt_misc.
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { JobClient } from '@jobslot/core';
import { createJobserver } from '@jobslot/core/server';

// Children and workers import the same build as this file, wherever they run.
const CORE = import.meta.resolve('@jobslot/core');
const PREFIX = (process.env.JOBSLOT_EXEC_PREFIX ?? '').split(' ').filter(Boolean);
const quiet = { onWarning: (m) => assert.fail(`unexpected warning: ${m}`) };

function fifoClient(jobs, options = {}) {
  const server = createJobserver({ jobs, style: 'fifo', tokenByte: options.tokenByte });
  const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags }, waitMode: options.waitMode, ...quiet });
  return { server, client };
}

test(`runs on ${process.arch}`, () => {
  console.log(`# node ${process.version} ${process.platform}-${process.arch}`);
});

test("koffi's binary is loaded straight from its package, as koffi would pick it, without koffi's own loader", () => {
  const { server, client } = fifoClient(1);
  try {
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    const binary = loaded.find((file) => /[\\/]@koromix[\\/]koffi-[^\\/]+[\\/][^\\/]+[\\/]koffi\.node$/.test(file));
    assert.ok(binary, `no koffi.node among the loaded modules: ${loaded.join(', ')}`);
    console.log(`# ${binary}`);
    assert.deepEqual(loaded.filter((file) => /[\\/]koffi[\\/](index\.c?js|src[\\/])/.test(file)), []);
  } finally {
    client.close();
    server.close();
  }
});

test('signal wake-up: a released token reaches a waiter through a signal (SIGURG), not the 1 s fallback', async () => {
  const { server, client } = fifoClient(2, { waitMode: 'signal' });
  let sigio = 0; // SIGURG: the wake-up signal F_SETSIG asks for
  const count = () => sigio++;
  process.on('SIGURG', count);
  try {
    // The pool has one token: hold it, wait for a second, release the first.
    let holding = client.tryAcquire();
    assert.ok(holding);
    const times = [];
    for (let i = 0; i < 5; i++) {
      const waiting = client.acquire({ timeout: 20_000 });
      // Let the watch arm (its first look finds nothing), then release.
      await new Promise((r) => setTimeout(r, 20));
      const before = sigio;
      const start = performance.now();
      holding.release();
      holding = await waiting;
      times.push(performance.now() - start);
      assert.ok(holding, 'the waiter got a token');
      assert.ok(sigio > before, 'the wake-up signal reached this process (F_SETOWN_EX named the main thread)');
    }
    holding.release();
    times.sort((a, b) => a - b);
    console.log(`# signal wake-up ms: median ${times[2].toFixed(2)}, max ${times[4].toFixed(2)}`);
    // The poll fallback runs once a second: a generous bound well under it.
    assert.ok(times[2] < 700, `median wake-up ${times[2]} ms: the signal did not wake the wait`);
  } finally {
    process.off('SIGURG', count);
    client.close();
    assert.deepEqual(server.close(), { returned: 1, lost: 0, extra: 0 });
  }
});

test('poll wake-up (the threadpool path) serves a waiter', async () => {
  const { server, client } = fifoClient(2, { waitMode: 'poll' });
  const first = client.tryAcquire();
  const waiting = client.acquire({ timeout: 20_000 });
  setTimeout(() => first.release(), 20);
  const second = await waiting;
  assert.ok(second);
  second.release();
  client.close();
  assert.deepEqual(server.close(), { returned: 1, lost: 0, extra: 0 });
});

test('writes back the exact byte it read (0xff)', () => {
  const { server, client } = fifoClient(3, { tokenByte: 0xff });
  const a = client.tryAcquire();
  const b = client.tryAcquire();
  assert.equal(a.byte, 0xff);
  assert.equal(client.tryAcquire(), null);
  a.release();
  b.release();
  client.close();
  assert.deepEqual(server.close(), { returned: 2, lost: 0, extra: 0 });
});

test('timeouts: null after the timeout; NaN is a TypeError', async () => {
  const { server, client } = fifoClient(1);
  const start = performance.now();
  assert.equal(await client.acquire({ timeout: 100 }), null);
  assert.ok(performance.now() - start >= 95);
  assert.throws(() => client.acquire({ timeout: Number.NaN }), TypeError);
  client.close();
  assert.deepEqual(server.close(), { returned: 0, lost: 0, extra: 0 });
});

function child(server, script) {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = [...PREFIX, process.execPath];
    const proc = spawn(cmd, [...args, '--input-type=module', '-e', script], {
      env: server.env({ ...process.env }),
      stdio: ['ignore', 'pipe', 'inherit', ...server.stdio],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}: ${out}`))));
  });
}

test('pipe style in a child process: takes every token, waits, gives all back', async () => {
  const server = createJobserver({ jobs: 4, style: 'pipe' });
  const out = await child(
    server,
    `import { JobClient } from ${JSON.stringify(CORE)};
     const client = JobClient.fromEnv();
     const held = [];
     for (let t; (t = client.tryAcquire()); ) held.push(t);
     const waited = client.acquire({ timeout: 300 });
     const late = await waited;
     for (const t of held) t.release();
     console.log(JSON.stringify({ connected: client.connected, style: client.style, held: held.length, late: late === null }));
     client.close();`,
  );
  assert.deepEqual(out, { connected: true, style: 'pipe', held: 3, late: true });
  assert.deepEqual(server.close(), { returned: 3, lost: 0, extra: 0 });
});

test('a worker thread waits on the threadpool and gives its tokens back', async () => {
  const { server, client } = fifoClient(3);
  const held = client.tryAcquire();
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { readlinkSync } = require('node:fs');
     import(${JSON.stringify(CORE)}).then(async ({ JobClient }) => {
       const client = JobClient.fromEnv({ env: { MAKEFLAGS: workerData } });
       const a = client.tryAcquire();
       const b = await client.acquire({ timeout: 20_000 });
       parentPort.postMessage({ a: !!a, b: !!b, tid: Number(readlinkSync('/proc/thread-self').split('/').pop()) });
       a?.release(); b?.release(); client.close();
     });`,
    { eval: true, workerData: server.makeflags },
  );
  setTimeout(() => held.release(), 50);
  // Listened for before the message is awaited: node emits a worker's last message and its
  // 'exit' in one go when it ends right after posting.
  const exited = new Promise((r) => worker.once('exit', r));
  const [message] = await new Promise((resolve, reject) => {
    worker.once('message', (m) => resolve([m]));
    worker.once('error', reject);
  });
  await exited;
  assert.equal(message.a, true);
  assert.equal(message.b, true);
  assert.notEqual(message.tid, process.pid);
  assert.equal(Number(readlinkSync('/proc/thread-self').split('/').pop()), process.pid);
  client.close();
  assert.deepEqual(server.close(), { returned: 2, lost: 0, extra: 0 });
});

test('a worker terminated while it holds tokens: they go back all the same', async () => {
  const { server, client } = fifoClient(3);
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     import(${JSON.stringify(CORE)}).then(({ JobClient }) => {
       const client = JobClient.fromEnv({ env: { MAKEFLAGS: workerData } });
       const held = [client.tryAcquire(), client.tryAcquire()];
       parentPort.postMessage(held.filter(Boolean).length);
       setInterval(() => {}, 1 << 30);
     });`,
    { eval: true, workerData: server.makeflags },
  );
  const held = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  assert.equal(held, 2);
  await worker.terminate();
  client.close();
  assert.deepEqual(server.close(), { returned: 2, lost: 0, extra: 0 });
});

test('no client on the main thread: the tokens a worker holds go back when the process is SIGKILLed (lifeline)', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const server = createJobserver({ jobs: 4, style: 'pipe' });
  const [cmd, ...args] = [...PREFIX, process.execPath];
  const script = `import { Worker } from 'node:worker_threads';
    const worker = new Worker(\`Promise.all([import(\${JSON.stringify(${JSON.stringify(CORE)})}), import('node:worker_threads')]).then(([{ JobClient }, { parentPort }]) => {
      const client = JobClient.fromEnv();
      const held = [client.tryAcquire(), client.tryAcquire(), client.tryAcquire()];
      parentPort.postMessage(held.filter(Boolean).length);
      setInterval(() => {}, 1 << 30);
    });\`, { eval: true });
    worker.once('message', (n) => process.stdout.write(\`held \${n}\\n\`));
    setInterval(() => {}, 1 << 30);`;
  // A process group of its own: the lifeline is in it, and the test waits for the group to end.
  const proc = spawn(cmd, [...args, '--input-type=module', '-e', script], {
    env: server.env({ ...process.env }),
    stdio: ['ignore', 'pipe', 'inherit', ...server.stdio],
    detached: true,
  });
  const said = await new Promise((resolve) => {
    let out = '';
    proc.stdout.on('data', (d) => (out += d) && out.includes('\n') && resolve(out));
  });
  assert.equal(said, 'held 3\n');
  const exited = new Promise((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  proc.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const inGroup = () =>
    readdirSync('/proc').filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === proc.pid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    });
  const limit = Date.now() + 20_000;
  while (inGroup().length > 0 && Date.now() < limit) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(inGroup(), []);
  assert.deepEqual(server.close(), { returned: 3, lost: 0, extra: 0 });
});
