// The Windows backend for real: node.exe and koffi's win32-x64 build under
// wine, a named semaphore made the way GNU make for Windows makes it
// (fixtures/windows/owner.mjs), and the semaphore's units counted on our own
// (NtQuerySemaphore, fixtures/windows/sem.mjs) rather than by jobslot.
// Runs with `bash scripts/test-windows.sh`, which sets wine up first.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peakFromLog } from './support/make.js';
import { findMakeExe, findWine, runNodeExe, runWine, stageApp, startWineserver, WINE_APP, WINE_DIR, winPath, type Wine } from './support/wine.js';

const { wine, skipped } = findWine();
const { makeExe, skipped: noMake } = wine ? findMakeExe() : { makeExe: undefined, skipped: undefined };

interface Step {
  what: string;
  count?: number;
  held: number;
  took?: boolean | number;
  ms?: number;
  outcome?: string;
  waiter?: unknown;
  kept?: number;
}

interface ClientResult {
  scenario: string;
  connected: boolean;
  style?: string;
  jobs?: number;
  kind?: string;
  auth?: string;
  fallbackSlots: number;
  warnings: string[];
  steps: Step[];
}

interface OwnerResult {
  name: string;
  tokens: number;
  before?: number;
  after?: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs client.mjs SCENARIO under owner.mjs: a make-like parent with a -jN semaphore. */
async function underOwner(scenario: string[], ownerArgs: string[] = []): Promise<{ owner: OwnerResult; client: ClientResult }> {
  const r = await runNodeExe(wine!, ['fixtures/owner.mjs', ...ownerArgs, '--', 'fixtures/client.mjs', ...scenario]);
  if (r.code !== 0) throw new Error(`owner.mjs exited ${r.code}: ${r.stderr}`);
  const owner = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as OwnerResult;
  const line = owner.stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`client.mjs printed nothing (exit ${owner.code}): ${owner.stderr}`);
  return { owner, client: JSON.parse(line) as ClientResult };
}

/** `jobslot ARGS` on node.exe; a COMMAND of `node` means node.exe. */
async function jobslot(args: string[]) {
  const nodeExe = winPath(join(WINE_DIR, 'node.exe'));
  const r = await runNodeExe(wine!, ['node_modules/@jobslot/core/dist/cli.js', ...args.map((a) => (a === 'node' ? nodeExe : a))]);
  const line = r.stdout.trim().split('\n').at(-1);
  return { ...r, client: line?.startsWith('{') ? (JSON.parse(line) as ClientResult) : undefined };
}

function stepOf(client: ClientResult, what: string): Step {
  const step = client.steps.find((s) => s.what === what);
  if (!step) throw new Error(`no step "${what}" in ${JSON.stringify(client.steps)}`);
  return step;
}

describe.skipIf(!wine)(`Windows, under wine${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  let stopServer: () => void = () => {};
  beforeAll(() => {
    stageApp();
    stopServer = startWineserver(wine as Wine);
  });
  afterAll(() => stopServer());

  it('connects to make\'s semaphore; tryAcquire, timed acquire, a release wakes a waiter; close gives all back', async () => {
    const { owner, client } = await underOwner(['basics'], ['--jobs', '3']);
    expect(client).toMatchObject({ connected: true, style: 'sem', jobs: 3, warnings: [] });
    expect(owner.before).toBe(2);
    expect(stepOf(client, 'connected').count).toBe(2);
    expect(stepOf(client, 'sibling takes one').count).toBe(1);
    expect(stepOf(client, 'tryAcquire')).toMatchObject({ took: true, count: 0, held: 1 });
    expect(stepOf(client, 'tryAcquire again')).toMatchObject({ took: false, count: 0, held: 1 });
    const timed = stepOf(client, 'acquire timeout 300');
    expect(timed).toMatchObject({ took: false, count: 0 });
    expect(timed.ms).toBeGreaterThanOrEqual(290);
    expect(stepOf(client, 'woken by another release')).toMatchObject({ took: true, count: 0, held: 2 });
    expect(stepOf(client, 'woken by our release')).toMatchObject({ took: true, count: 0, held: 2 });
    expect(stepOf(client, 'released both')).toMatchObject({ count: 2, held: 0 });
    expect(owner.after).toBe(2);
    expect(owner.code).toBe(0);
    expect(owner.stderr).toBe('');
  });

  it('an aborted acquire rejects with AbortError and keeps no unit, even one freed as it is cancelled', async () => {
    const { owner, client } = await underOwner(['abort'], ['--jobs', '3']);
    expect(stepOf(client, 'took both')).toMatchObject({ took: 2, count: 0 });
    expect(stepOf(client, 'aborted')).toMatchObject({ outcome: 'AbortError', count: 0, held: 2 });
    expect(stepOf(client, 'released one, nobody waiting')).toMatchObject({ count: 1, held: 1 });
    expect(stepOf(client, 'abort races')).toMatchObject({ kept: 0 });
    expect(stepOf(client, 'closed').count).toBe(2);
    expect(owner.after).toBe(2);
  });

  it('close() gives every token back and ends pending waits with null', async () => {
    const { owner, client } = await underOwner(['close'], ['--jobs', '3']);
    expect(stepOf(client, 'took both')).toMatchObject({ took: 2, count: 0 });
    expect(stepOf(client, 'closed')).toMatchObject({ count: 2, held: 0, waiter: null });
    expect(stepOf(client, 'tryAcquire after close')).toMatchObject({ took: false, count: 2 });
    expect(owner.after).toBe(2);
  });

  it('process.exit() while holding tokens gives every one back', async () => {
    const { owner, client } = await underOwner(['exit'], ['--jobs', '3']);
    expect(stepOf(client, 'took both')).toMatchObject({ took: 2, count: 0 });
    expect(owner.code).toBe(3);
    expect(owner.after).toBe(2);
  });

  it('process.exit() while waiting, as a sibling frees a unit: the unit stays free', async () => {
    for (let run = 0; run < 3; run++) {
      const { owner, client } = await underOwner(['exit-waiting'], ['--jobs', '3']);
      expect(stepOf(client, 'sibling takes the other')).toMatchObject({ ok: true, count: 0, held: 1 });
      expect(owner.code).toBe(0);
      // The token the client held comes back, and the sibling's unit is not lost with the wait.
      expect(owner.after).toBe(2);
    }
  });

  it('an uncaught exception while holding tokens gives every one back', async () => {
    const { owner, client } = await underOwner(['throw'], ['--jobs', '3']);
    expect(stepOf(client, 'took both')).toMatchObject({ took: 2, count: 0 });
    expect(owner.code).toBe(1);
    expect(owner.stderr).toMatch(/boom: an uncaught exception/);
    expect(owner.after).toBe(2);
  });

  it('a limiter runs within 1 + tokens (counted from per-job start/end logs)', async () => {
    const log = `limiter-${process.pid}-${Date.now()}.log`;
    const { owner, client } = await underOwner(['limiter', log, '8', '150'], ['--jobs', '3']);
    expect(client.connected).toBe(true);
    const { peak, jobs } = peakFromLog(readLogs(WINE_APP, log));
    expect(jobs).toBe(8);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(owner.after).toBe(2);
  });

  describe('jobslot -j N -- CMD serves a named semaphore', () => {
    it('the command\'s clients connect to it and every token comes back', async () => {
      const r = await jobslot(['-j', '3', '--', 'node', 'fixtures/client.mjs', 'basics']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.client).toMatchObject({ connected: true, style: 'sem', jobs: 3, warnings: [] });
      expect(stepOf(r.client!, 'connected').count).toBe(2);
      expect(stepOf(r.client!, 'woken by another release')).toMatchObject({ took: true, count: 0 });
      expect(stepOf(r.client!, 'released both').count).toBe(2);
    });

    it('jobs run within -j (counted from per-job start/end logs)', async () => {
      const log = `jobslot-limiter-${process.pid}-${Date.now()}.log`;
      const r = await jobslot(['-j', '3', '--', 'node', 'fixtures/client.mjs', 'limiter', log, '8', '150']);
      expect(r.code).toBe(0);
      const { peak, jobs } = peakFromLog(readLogs(WINE_APP, log));
      expect(jobs).toBe(8);
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThanOrEqual(2);
    });

    it('4 processes contending for 1 token: 800 handoffs, never two holders, none lost', async () => {
      const log = `handoffs-${process.pid}-${Date.now()}.log`;
      const r = await jobslot(['-j', '2', '--', 'node', 'fixtures/fanout.mjs', '4', 'fixtures/client.mjs', 'handoffs', '200', log]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const runs = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Array<{ code: number; stdout: string; stderr: string }>;
      for (const run of runs) {
        expect(run).toMatchObject({ code: 0, stderr: '' });
        const client = JSON.parse(run.stdout) as ClientResult;
        expect(stepOf(client, 'handed off')).toMatchObject({ rounds: 200, held: 0 });
      }
      const { peak, jobs } = peakFromLog(readLogs(WINE_APP, log));
      expect(jobs).toBe(800);
      expect(peak).toBe(1);
    });

    it('says how many tokens were not returned', async () => {
      const r = await jobslot(['-j', '3', '--', 'node', 'fixtures/client.mjs', 'leak']);
      expect(stepOf(r.client!, 'leaked one')).toMatchObject({ ok: true, count: 1 });
      expect(r.stderr).toMatch(/^jobslot: 1 of 2 job tokens were not returned \(lost by .*client\.mjs leak\)$/m);
    });

    it('-j1 serves no tokens: the command runs one job', async () => {
      const r = await jobslot(['-j', '1', '--', 'node', 'fixtures/client.mjs', 'probe']);
      expect(r.client).toMatchObject({ connected: true, jobs: 1 });
      expect(stepOf(r.client!, 'tryAcquire')).toMatchObject({ took: false, count: 0 });
      expect(r.stderr).toBe('');
    });

    it('a .cmd file: one line saying how to run it, not a crash; through cmd /c it runs', async () => {
      const direct = await jobslot(['-j', '2', '--', 'fixtures\\hello.cmd']);
      expect(direct.code).toBe(127);
      expect(direct.stderr).toMatch(/^jobslot: cannot run fixtures\\hello\.cmd: .*cmd \/c/);
      expect(direct.stderr.trim().split('\n')).toHaveLength(1);
      // As `npm` is: a name whose program is a .cmd shim.
      const shim = await jobslot(['-j', '2', '--', 'fixtures\\hello']);
      expect(shim.code).toBe(127);
      expect(shim.stderr).toMatch(/^jobslot: cannot run fixtures\\hello: .*ENOENT.*cmd \/c fixtures\\hello\)$/m);
      const viaCmd = await jobslot(['-j', '2', '--', 'cmd', '/c', 'fixtures\\hello.cmd']);
      expect(viaCmd.code).toBe(0);
      expect(viaCmd.stdout).toMatch(/-j2 --jobserver-auth=jobslot_semaphore_\d+/);
    });

    it('exits as the command did', async () => {
      const r = await jobslot(['-j', '2', '--', 'node', '-e', 'process.exit(7)']);
      expect(r.code).toBe(7);
    });
  });

  describe.skipIf(!makeExe)(`GNU make 4.4.1 for Windows${noMake ? ` (skipped: ${noMake})` : ''}`, () => {
    /**
     * Four recipes, each running 4 jobs of 150 ms in a jobslot limiter and
     * logging them; then `all` counts the semaphore while no other job runs.
     */
    function makefile(log: string): string {
      const node = winPath(join(WINE_DIR, 'node.exe'));
      const job = (t: string) => `${t}:\n\t${node} ../fixtures/client.mjs limiter ${log} 4 150\n`;
      return `all: a b c d\n\t${node} ../fixtures/client.mjs count\n${['a', 'b', 'c', 'd'].map(job).join('')}`;
    }

    async function inMakeDir(run: (dir: string, log: string) => Promise<{ code: number | null; stdout: string; stderr: string }>) {
      const name = `make-${process.pid}-${Date.now()}`;
      const dir = join(WINE_APP, name);
      mkdirSync(dir);
      try {
        const log = 'jobs.log';
        writeFileSync(join(dir, 'Makefile'), makefile(log));
        const r = await run(name, log);
        const { peak, jobs } = peakFromLog(readLogs(dir, log));
        const lines = r.stdout.trim().split('\n');
        const last = JSON.parse(lines.findLast((l) => l.startsWith('{'))!) as ClientResult;
        return { ...r, peak, jobs, last };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('make.exe -j3: recipes\' jobslot clients run within -j3, and make ends with every token back', async () => {
      const r = await inMakeDir((dir) => runWine(wine!, [makeExe!, '-C', dir, '-j3'], { timeoutMs: 120_000 }));
      expect(r.code).toBe(0);
      expect(r.last).toMatchObject({ connected: true, style: 'sem', jobs: 3 });
      expect(r.last.auth).toMatch(/^gmake_semaphore_\d+$/);
      expect(r.jobs).toBe(16);
      expect(r.peak).toBeLessThanOrEqual(3);
      expect(r.peak).toBeGreaterThanOrEqual(2);
      // `all` runs on make's implicit slot, alone: both tokens are in the semaphore.
      expect(stepOf(r.last, 'count').count).toBe(2);
      expect(r.stdout + r.stderr).not.toMatch(/INTERNAL: Exiting with/);
    });

    it('jobslot -j 3 -- make.exe: make joins jobslot\'s semaphore, and every token comes back', async () => {
      const r = await inMakeDir((dir) => jobslot(['-j', '3', '--', winPath(makeExe!), '-C', dir]));
      expect(r.code).toBe(0);
      expect(r.last.auth).toMatch(/^jobslot_semaphore_\d+$/); // make's recipes are on ours
      expect(r.jobs).toBe(16);
      expect(r.peak).toBeLessThanOrEqual(3);
      expect(r.peak).toBeGreaterThanOrEqual(2);
      expect(stepOf(r.last, 'count').count).toBe(2);
      expect(r.stderr).not.toMatch(/not returned|INTERNAL: Exiting with/);
    });
  });

  describe('a jobserver it cannot use: one warning, and one slot as make -j1', () => {
    it.each([
      ['missing', /no semaphore named gmake_semaphore_missing/],
      ['event', /gmake_semaphore_\d+ is not a semaphore/],
      ['fds', /a pipe jobserver is not usable on Windows/],
      ['fifo', /a fifo jobserver is not usable on Windows/],
    ])('%s', async (auth, message) => {
      const { owner, client } = await underOwner(['probe'], ['--jobs', '3', '--auth', auth]);
      expect(client).toMatchObject({ connected: false, fallbackSlots: 1 });
      expect(client.warnings).toHaveLength(1);
      expect(client.warnings[0]).toMatch(message);
      expect(stepOf(client, 'tryAcquire').took).toBe(false);
      expect(owner.code).toBe(0);
    });
  });
});

/** The job logs `LOG.<pid>` that limiter clients wrote in `dir`, together; removes them. */
function readLogs(dir: string, log: string): string {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${log}.`));
  const text = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
  for (const f of files) rmSync(join(dir, f));
  return text;
}
