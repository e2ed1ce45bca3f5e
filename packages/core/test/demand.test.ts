// The demand probe (src/cli/demand.ts): does a process beneath `jobslot run`
// wait for a token of its sub-pool? Against a real client in a child process
// (built core), waiting on a real sub-pool: the probe must see the wait at its
// first look after the wait began, also where the process has had the fifo
// open since it started (pipe style: descriptors 3 and 4 inherited), and its
// client waits on a private descriptor it reopened later. That is what a
// webpack build beneath `jobslot run` under make 4.3 does when a minimizer pass
// waits a moment for more slots (test/webpack-machine-frees.test.ts).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { demandProbe } from '../src/cli/demand.js';
import { createJobserver, type Jobserver } from '../src/posix/server.js';

const CORE = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

// Says "ready" once loaded, connects and waits for a token when told "go",
// says "waiting" once the wait has begun, and "got" when a token came.
const CHILD = `
const { JobClient } = require(${JSON.stringify(CORE)});
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  const client = JobClient.fromEnv();
  if (!client.connected) { process.stdout.write('not connected: ' + client.error + '\\n'); process.exit(1); }
  const waiting = client.acquire({ timeout: 30000 });
  process.stdout.write('waiting\\n');
  const token = await waiting;
  process.stdout.write(token ? 'got\\n' : 'none\\n');
  token?.release();
  client.close();
});
`;

let pool: Jobserver | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  pool?.close();
  pool = child = undefined;
});

/** Resolves when the child has written `line`. */
function said(proc: ChildProcessWithoutNullStreams, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      if (out.split('\n').includes(line)) {
        proc.stdout.off('data', onData);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before saying ${line}: ${out}`)));
  });
}

describe.skipIf(process.platform !== 'linux' || !existsSync(CORE))('demandProbe', () => {
  it.each(['pipe', 'fifo'] as const)('%s style: sees a client wait at its first look after the wait began, though it looked at that process just before', async (style) => {
    pool = createJobserver({ jobs: 4, tokens: 0, style });
    const probe = demandProbe(pool.path);
    expect(probe).toBeDefined();
    const env = { ...pool.env(), JOBSLOT_TRACE: undefined };
    child = spawn(process.execPath, ['-e', CHILD], { env, stdio: ['pipe', 'pipe', 'pipe', ...pool.stdio] }) as unknown as ChildProcessWithoutNullStreams;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await said(child, 'ready');
    // The probe lists the child now (its tree and descriptors: in pipe style, 3 and 4), before it connects.
    expect(probe!()).toBe(false);
    const waiting = said(child, 'waiting');
    child.stdin.write('go\n');
    await waiting;
    // Before, the probe kept a process's descriptors for up to a second (for 0.2 s where
    // it had none): the private descriptor the client waits on went unseen meanwhile.
    expect(probe!(), stderr).toBe(true);
    const got = said(child, 'got');
    pool.add();
    await got;
  });
});
