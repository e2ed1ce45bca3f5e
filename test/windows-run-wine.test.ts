// `jobslot run` on Windows, for real (issue 20 item 4): node.exe under wine
// beneath GNU make 4.4.1 for Windows, whose jobserver is a named semaphore.
// Jobs are counted from their own start/end logs (fixtures/windows/job.mjs,
// the limiter scenario of client.mjs), and make's semaphore is counted by
// its last recipe with NtQuerySemaphore (fixtures/windows/sem.mjs), not by
// jobslot. Also the Windows server's pool trace (issue 22): `jobslot report`
// sees the jobs make runs beneath `jobslot -j`.
// Runs with `bash scripts/test-windows.sh`, which sets wine up first.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, peakFromLog, run } from './support/make.js';
import { findMakeExe, findWine, runNodeExe, runWine, stageApp, startWineserver, WINE_APP, WINE_DIR, winPath } from './support/wine.js';

const { wine, skipped } = findWine();
const { makeExe, skipped: noMake } = wine ? findMakeExe() : { makeExe: undefined, skipped: undefined };
const why = skipped ?? noMake;

interface Step {
  what: string;
  count?: number;
  took?: number;
  env?: Record<string, string | undefined>;
}
interface ClientResult {
  connected: boolean;
  auth?: string;
  jobs?: number;
  steps: Step[];
}

const node = () => winPath(join(WINE_DIR, 'node.exe'));
const jobslot = () => `${node()} ../node_modules/@jobslot/core/dist/cli.js`;
/** A make rule per name: `name:` and its recipe lines, each indented by a tab. */
const rule = (target: string, ...recipe: string[]) => `${target}\n${recipe.map((r) => `\t${r}\n`).join('')}`;
/**
 * A sub-make of six jobs of MS ms that log themselves. Long enough to
 * overlap: node.exe under wine can take a second to start on a busy machine.
 */
const subMk = (ms = 1500) => rule('all: j1 j2 j3 j4 j5 j6') + rule('j1 j2 j3 j4 j5 j6:', `${'$'}{NODE} ../fixtures/job.mjs jobs.log ${ms}`);

/** Writes FILES in a fresh directory of WINE_APP, runs `run(dir)`, and reads back the job logs and the last JSON line. */
async function inDir(files: Record<string, string>, go: (dir: string) => Promise<{ code: number | null; stdout: string; stderr: string }>) {
  const name = `run-${process.pid}-${Date.now()}`;
  const dir = join(WINE_APP, name);
  mkdirSync(dir);
  try {
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text.replaceAll('${NODE}', node()));
    const r = await go(name);
    const logs = readdirSync(dir)
      .filter((f) => f.startsWith('jobs.log.'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('');
    const results = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as ClientResult);
    const auths = [...new Set([...logs.matchAll(/^start \S+ \S+ (\S+)/gm)].map((m) => m[1]))];
    return { ...r, ...peakFromLog(logs), auths, results, dir, logs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stepOf(client: ClientResult | undefined, what: string): Step {
  const step = client?.steps.find((s) => s.what === what);
  if (!step) throw new Error(`no step "${what}" in ${JSON.stringify(client)}`);
  return step;
}

const make = (dir: string, args: string[], env?: Record<string, string>) => runWine(wine!, [makeExe!, '--no-print-directory', '-C', dir, ...args], { env, timeoutMs: 180_000 });

// node.exe under wine starts slowly on a loaded machine: a make of ten jobs can take 20 s.
describe.skipIf(!wine || !makeExe)(`jobslot run on Windows, under make 4.4.1 for Windows${why ? ` (skipped: ${why})` : ''}`, { timeout: 120_000 }, () => {
  let stopServer: () => void = () => {};
  beforeAll(() => {
    stageApp();
    stopServer = startWineserver(wine!);
  });
  afterAll(() => stopServer());

  it('make.exe -j2 -> jobslot run -- make.exe (6 jobs) and jobslot run -- a jobslot client (4 jobs): at most 2 at once, and make ends with every token; the trace shows both slots', async () => {
    const trace = join(WINE_APP, `trace-${process.pid}-${Date.now()}.jsonl`);
    const r = await inDir(
      {
        Makefile:
          rule('all: a b', '${NODE} ../fixtures/client.mjs count') +
          rule('a:', `${jobslot()} run -- ${winPath(makeExe!)} --no-print-directory -f sub.mk`) +
          rule('b:', `${jobslot()} run -- \${NODE} ../fixtures/client.mjs limiter jobs.log 4 1000`),
        'sub.mk': subMk(),
      },
      (dir) => make(dir, ['-j2'], { JOBSLOT_TRACE: winPath(trace) }),
    );
    expect(r.stderr).not.toMatch(/INTERNAL: Exiting with|not returned|cannot start/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs).toBe(10);
    expect(r.peak).toBeLessThanOrEqual(2);
    expect(r.peak).toBeGreaterThanOrEqual(2);
    // The sub-make ran on jobslot run's semaphore, not make's.
    expect(r.auths.filter((a) => a !== '-')).toEqual([expect.stringMatching(/^jobslot_semaphore_\d+$/)]);
    // make's last recipe runs alone, on the implicit slot: its one token is back in the semaphore.
    const last = r.results.at(-1);
    expect(last?.auth).toMatch(/^gmake_semaphore_\d+$/);
    expect(stepOf(last, 'count').count).toBe(1);
    // What each jobslot run held for its command ('hold'), in the report as on POSIX.
    const out = await run('node', [CLI, 'report', trace], { env: process.env });
    rmSync(trace, { force: true });
    expect(out.stdout).toMatch(/peak slots\s+2 of -j2/);
    expect(out.stdout).toMatch(/tokens returned\s+all/);
  });

  it('make.exe -j2 -> jobslot run -- a runner starting 3 jobslot clients at once (as turbo does): they share one implicit slot, at most 2 jobs at once', async () => {
    const r = await inDir(
      {
        Makefile:
          rule('all: a', '${NODE} ../fixtures/client.mjs count') +
          rule('a:', `${jobslot()} run -- \${NODE} ../fixtures/fanout.mjs 3 ../fixtures/client.mjs limiter jobs.log 4 1000`),
      },
      (dir) => make(dir, ['-j2']),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs).toBe(12);
    // Each client thought it had make's implicit slot, and ran one job on it beside the shared token: 4.
    expect(r.peak).toBe(2);
    expect(stepOf(r.results.at(-1), 'count').count).toBe(1);
    expect(r.stderr).not.toMatch(/INTERNAL: Exiting with|not returned/);
  });

  it('make.exe -j2 -> jobslot run -- a runner starting 2 more jobslot runs at once: the one without the implicit slot runs on a token, at most 2 jobs at once', async () => {
    const cli = '../node_modules/@jobslot/core/dist/cli.js';
    const r = await inDir(
      {
        Makefile:
          rule('all: a', '${NODE} ../fixtures/client.mjs count') +
          rule('a:', `${jobslot()} run -- \${NODE} ../fixtures/fanout.mjs 2 ${cli} run -- \${NODE} ../fixtures/client.mjs limiter jobs.log 3 1000`),
      },
      (dir) => make(dir, ['-j2']),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs).toBe(6);
    expect(r.peak).toBe(2);
    expect(stepOf(r.results.at(-1), 'count').count).toBe(1);
    expect(r.stderr).not.toMatch(/INTERNAL: Exiting with|not returned/);
  });

  it('make.exe -j2 -> jobslot run -- make.exe with two client recipes: make between them and jobslot run gives each its own slot, so both run at once', async () => {
    const r = await inDir(
      {
        Makefile: rule('all: a', '${NODE} ../fixtures/client.mjs count') + rule('a:', `${jobslot()} run -- ${winPath(makeExe!)} --no-print-directory -f sub.mk`),
        'sub.mk': rule('all: x y') + rule('x y:', '${NODE} ../fixtures/client.mjs limiter jobs.log 3 1000'),
      },
      (dir) => make(dir, ['-j2']),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs).toBe(6);
    expect(r.peak).toBe(2);
    // The two clients ran side by side, each on the slot make gave its recipe: the later one's
    // first job started before the earlier one's last ended. Contending for one implicit slot,
    // the later one waited for the earlier one to exit.
    const spans = new Map<string, { first: number; last: number }>();
    for (const [, kind, pid, t] of r.logs.matchAll(/^(start|end) (\d+)\.\d+ (\S+)/gm)) {
      const span = spans.get(pid!) ?? { first: Infinity, last: -Infinity };
      if (kind === 'start') span.first = Math.min(span.first, Number(t));
      else span.last = Math.max(span.last, Number(t));
      spans.set(pid!, span);
    }
    expect(spans.size).toBe(2);
    const [a, b] = [...spans.values()];
    expect(Math.max(a!.first, b!.first)).toBeLessThan(Math.min(a!.last, b!.last));
    expect(stepOf(r.results.at(-1), 'count').count).toBe(1);
  });

  it('make.exe -j2 -> jobslot -j 4 -- make.exe (6 jobs): it joins make\'s jobserver, as on POSIX, rather than serve 4 more', async () => {
    const r = await inDir(
      { Makefile: rule('all: a', '${NODE} ../fixtures/client.mjs count') + rule('a:', `${jobslot()} -j 4 -- ${winPath(makeExe!)} --no-print-directory -f sub.mk`), 'sub.mk': subMk() },
      (dir) => make(dir, ['-j2']),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs).toBe(6);
    expect(r.peak).toBe(2);
    expect(r.stderr).toMatch(/^jobslot: -j4 inside a jobserver \(-j2\): joining it, at most 4 slots for /m);
    expect(stepOf(r.results.at(-1), 'count').count).toBe(1);
    expect(r.stderr).not.toMatch(/INTERNAL: Exiting with/);
  });

  it('outside make: jobslot run serves a semaphore of its own, one slot per CPU (--max M: M), and says so in one line; --style: one line', async () => {
    const r = await inDir({}, () => runNodeExe(wine!, ['node_modules/@jobslot/core/dist/cli.js', 'run', '--', node(), 'fixtures/client.mjs', 'env']));
    expect(r.code, r.stderr).toBe(0);
    const cpus = Number(/gets (\d+) slots? \(the CPU count\)/.exec(r.stderr)?.[1]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(cpus).toBeGreaterThanOrEqual(1);
    expect(r.results[0]).toMatchObject({ connected: true, jobs: cpus, auth: expect.stringMatching(/^jobslot_semaphore_\d+$/) });
    expect(stepOf(r.results[0], 'env')).toMatchObject({ count: cpus - 1, env: { GOMAXPROCS: String(cpus), TURBO_CONCURRENCY: String(cpus) } });
    const m = await inDir({}, () => runNodeExe(wine!, ['node_modules/@jobslot/core/dist/cli.js', 'run', '--max', '3', '--style', 'fifo', '--', node(), 'fixtures/client.mjs', 'env']));
    expect(m.code, m.stderr).toBe(0);
    expect(m.stderr).toMatch(/^jobslot: --style fifo is for Linux and macOS; on Windows the jobserver is a named semaphore/m);
    expect(m.stderr).toMatch(/gets 3 slots \(--max\)/);
    expect(m.stderr.trim().split('\n')).toHaveLength(2);
    expect(stepOf(m.results[0], 'env')).toMatchObject({ count: 2, env: { GOMAXPROCS: '3' } });
  });

  it('control: the same six jobs with six slots run more than 2 at once', async () => {
    const r = await inDir({ 'sub.mk': subMk() }, (dir) => make(dir, ['-j6', '-f', 'sub.mk']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs).toBe(6);
    expect(r.peak).toBeGreaterThan(2);
  });

  it('make.exe -j3: the command gets a semaphore of the 2 free tokens, and its native pools and task runners sized to 3 slots (--max 2: 2)', async () => {
    const r = await inDir(
      {
        Makefile:
          rule('all: b', '${NODE} ../fixtures/client.mjs count') +
          rule('a:', `${jobslot()} run -- \${NODE} ../fixtures/client.mjs env`) +
          rule('b: a', `${jobslot()} run --max 2 -- \${NODE} ../fixtures/client.mjs env`),
      },
      (dir) => make(dir, ['-j3']),
    );
    expect(r.code, r.stderr).toBe(0);
    const [three, two, last] = r.results;
    expect(three).toMatchObject({ connected: true, jobs: 3, auth: expect.stringMatching(/^jobslot_semaphore_\d+$/) });
    expect(stepOf(three, 'env').count).toBe(2);
    expect(stepOf(three, 'env').env).toMatchObject({ GOMAXPROCS: '3', RAYON_NUM_THREADS: '3', ROLLDOWN_WORKER_THREADS: '3', TOKIO_WORKER_THREADS: '3', TURBO_CONCURRENCY: '3', NX_PARALLEL: '3' });
    expect(stepOf(three, 'env').env?.NODE_OPTIONS).toMatch(/--v8-pool-size=2(?!\d)/);
    expect(two).toMatchObject({ connected: true, jobs: 2 });
    expect(stepOf(two, 'env').count).toBe(1);
    expect(stepOf(two, 'env').env).toMatchObject({ GOMAXPROCS: '2', TURBO_CONCURRENCY: '2' });
    expect(stepOf(last, 'count').count).toBe(2);
    expect(r.stderr).not.toMatch(/INTERNAL: Exiting with/);
  });

  it('every token back when the command fails holding tokens, or is killed holding them (TerminateProcess)', async () => {
    const r = await inDir(
      {
        Makefile:
          rule('all: b', '${NODE} ../fixtures/client.mjs count') +
          rule('a:', `-${jobslot()} run -- \${NODE} ../fixtures/client.mjs kill`) +
          rule('b: a', `-${jobslot()} run -- \${NODE} ../fixtures/client.mjs exit`),
      },
      (dir) => make(dir, ['-j3']),
    );
    expect(r.code, r.stderr).toBe(0);
    const [killed, failed, last] = r.results;
    expect(stepOf(killed, 'took all').took).toBe(2);
    expect(failed?.steps[0]).toMatchObject({ what: 'took both', took: 2 });
    // The killed command's 2 sub-pool tokens are said lost, beneath: jobslot run gives its own back above.
    expect(r.stderr).toMatch(/^jobslot: 2 of 2 job tokens were not returned \(lost by .*client\.mjs kill\)$/m);
    expect(r.stderr).toMatch(/\[Makefile:\d+: b\] Error 3 \(ignored\)/);
    expect(stepOf(last, 'count').count).toBe(2);
    expect(r.stderr).not.toMatch(/INTERNAL: Exiting with/);
  });

  it('JOBSLOT_TRACE: jobslot -j 2 -- make.exe (plain jobs) writes its pool, and the report says peak 2 of -j2', async () => {
    const trace = join(WINE_APP, `trace-${process.pid}-${Date.now()}.jsonl`);
    try {
      const r = await inDir({ 'sub.mk': subMk() }, (dir) =>
        runNodeExe(wine!, ['node_modules/@jobslot/core/dist/cli.js', '-j', '2', '--', winPath(makeExe!), '--no-print-directory', '-C', dir, '-f', 'sub.mk'], {
          env: { JOBSLOT_TRACE: winPath(trace) },
          timeoutMs: 180_000,
        }),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.peak).toBe(2);
      const out = await run('node', [CLI, 'report', trace], { env: process.env });
      expect(out.stdout).toMatch(/peak slots\s+2 of -j2/);
      expect(out.stdout).toMatch(/tokens returned\s+all/);
    } finally {
      rmSync(trace, { force: true });
    }
  });
});
