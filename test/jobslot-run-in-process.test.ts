// `jobslot run -- CMD` where CMD is a node script this node would run (a bin
// with a node shebang, as npm links it; a pnpm shim; `node SCRIPT`): CMD runs
// inside jobslot's own process, not in a second node (issue 24's tax: a node
// start is ~55 ms and ~45 MB per wrapped build). Where it runs is read from
// /proc (its parent's name: make, or a node between), concurrency from
// per-task start/end logs, tokens from make's `INTERNAL:` line.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, peakFromLog, ROOT, run, runMake, sh, tempDir, which } from './support/index.js';
import { v8PlatformWorkers } from './support/v8-threads.js';

const TOOL = join(ROOT, 'test/fixtures/core/in-process/tool.mjs');
const SYNC_WRAPPER = join(ROOT, 'test/fixtures/core/in-process/sync-wrapper/wrapper.mjs');
const ROLLUP_SHIM = join(ROOT, 'test/node_modules/.bin/rollup');
const BIN = join(ROOT, 'test/node_modules/.bin');
const { available, skipped } = makeBins();
for (const why of skipped) it.skip(`fifo-style make: ${why}`, () => {});
const linux = process.platform === 'linux';
const strace = linux ? which('strace') : undefined;

interface ToolReport {
  pid: number;
  parent: string;
  argv1: string;
  isMain: boolean;
  args: string[];
  GOMAXPROCS: string;
  NODE_OPTIONS: string;
  MAKEFLAGS: string;
  connected: boolean;
  warnings: string[];
  most?: number;
  heldAfter?: number;
}

const reports = (stdout: string): ToolReport[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

/** A directory with the tool linked into node_modules/.bin as npm links a bin, and a private dir for the sub-pool. */
function project(): { dir: string; run: string; env: Record<string, string> } {
  const dir = tempDir('jobslot-in-process-');
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  symlinkSync(TOOL, join(dir, 'node_modules/.bin/tool'));
  const run = join(dir, 'run');
  mkdirSync(run, { mode: 0o700 });
  return { dir, run, env: { XDG_RUNTIME_DIR: run, TASK_LOG: join(dir, 'tasks.log') } };
}

const tasksLog = (dir: string) => readFileSync(join(dir, 'tasks.log'), 'utf8');

describe.skipIf(!linux).each(available)('jobslot run, a node command, under make $version ($style)', (make) => {
  it('runs in jobslot run’s own process: no second node, the sub-pool served, its pools sized', async () => {
    const { dir, run, env } = project();
    // -j5 alone: five slots, one more than node's 4 V8 helpers, as a node of its own would get (below).
    const result = await runMake({ make, dir, jobs: 5, makefile: `all:\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool tasks 12\n`, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const [tool] = reports(result.stdout);
    // make started jobslot run, and the tool is that process: nothing between.
    expect(tool!.parent).toBe('make');
    expect(tool!.argv1).toBe(join(dir, 'node_modules/.bin/tool'));
    expect(tool!.isMain).toBe(true);
    expect(tool!.args).toEqual(['tasks', '12']);
    expect(tool!.GOMAXPROCS).toBe('5');
    expect(tool!.NODE_OPTIONS).toContain('--v8-pool-size=4');
    // Pipe style: the descriptors stay where they are in this process, and MAKEFLAGS names them there.
    expect(tool!.MAKEFLAGS).toMatch(make.style === 'pipe' ? /^ -j5 --jobserver-auth=(?!3,4)\d+,\d+$/ : /^ -j5 --jobserver-auth=fifo:\S*\/jobslot-\w+\/fifo$/);
    expect(tool!.connected).toBe(true);
    expect(tool!.warnings).toEqual([]);
    expect(tool!.heldAfter).toBe(0);
    const { peak, jobs } = peakFromLog(tasksLog(dir));
    expect(jobs).toBe(12);
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBeGreaterThanOrEqual(2);
    // The sub-pool's directory went with it.
    expect(readdirSync(run)).toEqual([]);
  });

  it('-j4 alone, node\'s 4 V8 helpers: in a node of its own, on 3 (its main thread holds the fourth slot)', async () => {
    const { dir, env } = project();
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool tasks 4\n`, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(reports(result.stdout)[0]).toMatchObject({ parent: 'jobslot', GOMAXPROCS: '4', NODE_OPTIONS: '--v8-pool-size=3', connected: true });
  });

  it('-j2 alone: in a node of its own, which runs one V8 helper thread (counted from /proc), not two', async () => {
    // Two slots: the tool's main thread works on one, one helper on the other.
    const { dir, env } = project();
    const ready = join(dir, 'ready');
    const go = join(dir, 'go');
    let settled = false;
    const making = runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool hold\n`, env: { ...env, HOLD_READY: ready, HOLD_GO: go } }).finally(() => {
      settled = true;
    });
    // The tool says it is running (its pid); a failed make says so by ending first.
    while (!settled && !(existsSync(ready) && readFileSync(ready, 'utf8'))) await new Promise((r) => setTimeout(r, 20));
    const { workers } = settled ? { workers: -1 } : await v8PlatformWorkers(Number(readFileSync(ready, 'utf8')));
    writeFileSync(go, '');
    const result = await making;
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(workers).toBe(1);
    expect(reports(result.stdout)[0]).toMatchObject({ parent: 'jobslot', NODE_OPTIONS: '--v8-pool-size=1' });
  });

  // In a node of its own, the command starts with this node directly, not
  // through its pnpm shim (a shell script that forks readlink, sed and uname
  // before it execs node: ~3 ms of every run) or `#!/usr/bin/env node` (one
  // more exec). Every exec watched with strace, independently of jobslot.
  it.skipIf(!strace)('-j3, in a node of its own: started with this node directly, no shim’s shell or env between, NODE_PATH as the shim sets it', async () => {
    const { dir, env } = project();
    const log = join(dir, 'strace.log');
    const shim = ROLLUP_SHIM;
    const nodePath = /^\s*export NODE_PATH="([^"$]*)"$/m.exec(readFileSync(shim, 'utf8'))![1]!;
    const rollup = /^# cmd-shim-target=(.+)$/m.exec(readFileSync(shim, 'utf8'))![1]!;
    writeFileSync(join(dir, 'Makefile'), `all: a b\na:\n\t+@node ${sh(CLI)} run -- ${sh(shim)} --version\nb:\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool tasks 1\n`);
    // -j3, the two recipes at once: each jobslot run holds one slot, fewer than node's 4 V8 helpers.
    const r = await run(strace!, ['-f', '-qq', '-v', '-s', '4096', '-e', 'trace=execve', '-o', log, make.bin, '-j3'], { cwd: dir, env: cleanEnv(env) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/INTERNAL: Exiting with/);
    expect(r.stdout).toMatch(/^rollup v\d/m);
    expect(reports(r.stdout)[0]).toMatchObject({ parent: 'jobslot', argv1: join(dir, 'node_modules/.bin/tool'), args: ['tasks', '1'] });
    const execs = readFileSync(log, 'utf8').split('\n').filter((line) => /execve\(/.test(line) && /= 0$/.test(line));
    const programs = execs.map((line) => /execve\("([^"]+)"/.exec(line)![1]!);
    // Neither the shim nor env ran, nor what the shim forks.
    expect(programs).not.toContain(shim);
    expect(programs.filter((p) => /\/(?:env|sed|uname|readlink)$/.test(p))).toEqual([]);
    const nodes = execs.filter((line) => line.includes(`execve("${process.execPath}", ["node", `));
    const rollupExec = nodes.find((line) => line.includes(`"node", "${rollup}", "--version"]`));
    expect(rollupExec, nodes.join('\n')).toBeDefined();
    // (The shim puts its own before a NODE_PATH it was given.)
    expect(rollupExec).toContain(`"NODE_PATH=${process.env.NODE_PATH ? `${nodePath}:${process.env.NODE_PATH}` : nodePath}"`);
    expect(nodes.some((line) => line.includes(`"node", "${join(dir, 'node_modules/.bin/tool')}", "tasks", "1"]`))).toBe(true);
  });

  it('a client in a worker thread of the command finds the sub-pool too, and takes a token', async () => {
    const { dir, env } = project();
    const result = await runMake({ make, dir, jobs: 3, makefile: `all:\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool worker\n`, env: { ...env, NODE_OPTIONS: '--v8-pool-size=1' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(reports(result.stdout)[0]).toMatchObject({ parent: 'make', connected: true, workerConnected: true, workerGot: 1, workerWarnings: [] });
  });

  it('--spawn, or node options on the line: in a process of its own, as before', async () => {
    const { dir, env } = project();
    const makefile = `all: a b\na:\n\t+@node ${sh(CLI)} run --spawn -- node_modules/.bin/tool tasks 2\nb:\n\t+@node ${sh(CLI)} run -- node --no-warnings node_modules/.bin/tool tasks 2\n`;
    const result = await runMake({ make, dir, jobs: 3, makefile, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const tools = reports(result.stdout);
    if (make.style === 'pipe') expect(tools.map((t) => t.MAKEFLAGS)).toEqual([' -j3 --jobserver-auth=3,4', ' -j3 --jobserver-auth=3,4']);
    // (jobslot run names its process `jobslot`.)
    expect(tools.map((t) => t.parent)).toEqual(['jobslot', 'jobslot']);
    for (const tool of tools) expect(tool.connected).toBe(true);
  });

  it.each([
    ['process.exit(3)', 'exit 3', /Error 3/],
    ['process.exitCode = 4', 'code 4', /Error 4/],
    ['an uncaught exception', 'throw', /the tool failed[\s\S]*Error 1/],
    ['SIGTERM, holding a slot, with no listener of its own', 'term', /Terminated/],
  ])('ends as node would on %s, every token back, its directory gone', async (_, args, said) => {
    const { dir, run, env } = project();
    // Under -j5 it takes make's four tokens, and must give them back.
    const result = await runMake({ make, dir, jobs: 5, makefile: `all:\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool ${args}\n`, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(said);
    expect(result.leakLine).toBeUndefined();
    expect(reports(result.stdout).map((t) => t.parent)).toEqual(['make']);
    expect(readdirSync(run)).toEqual([]);
  });

  it('a sub-make the node tool runs gets the sub-pool: N jobs at once', async () => {
    // Under --spawn the tool's node closed the inherited descriptors for its
    // children, and a make 4.3 beneath ran one job at a time.
    const { dir, env } = project();
    const log = join(dir, 'tasks.log');
    const names = 'abcdefgh'.split('');
    writeFileSync(join(dir, 'sub.mk'), `all: ${names.join(' ')}\n${names.join(' ')}:\n\t@echo start $@ $$(date +%s%3N) >> ${log}; sleep 0.3; echo end $@ $$(date +%s%3N) >> ${log}\n`);
    const result = await runMake({ make, dir, jobs: 5, makefile: `all:\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool make -sf sub.mk\n`, env: { ...env, SUBMAKE: make.bin } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/jobserver|warning/i);
    expect(result.leakLine).toBeUndefined();
    const { peak, jobs } = peakFromLog(tasksLog(dir));
    expect(jobs).toBe(8);
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBeGreaterThanOrEqual(2);
  });

  it('grows the sub-pool for the command’s own waiting client as make’s other jobs end: never more than N in all', async () => {
    // -j4: two other jobs take two tokens first; jobslot run starts with the one
    // left. They end once the tool has run a task; then its waiting client (in
    // jobslot run's own process) must be seen, and the sub-pool grow to 4.
    const { dir, env } = project();
    const log = join(dir, 'tasks.log');
    const other = `\t@echo start $@ $$(date +%s%3N) >> ${log}; while ! grep -q '^end' ${log}; do sleep 0.05; done; sleep 0.2; echo end $@ $$(date +%s%3N) >> ${log}`;
    const makefile = `all: s1 s2 tool\ns1 s2:\n${other}\ntool: s1-started s2-started\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool tasks 40\ns1-started s2-started:\n\t@while ! [ "$$(grep -c '^start' ${log} 2>/dev/null)" -ge 2 ]; do sleep 0.02; done\n`;
    // Two slots of four at its start: it runs here only with no more V8 helpers than that (below).
    const result = await runMake({ make, dir, jobs: 4, makefile, env: { ...env, NODE_OPTIONS: '--v8-pool-size=1' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const [tool] = reports(result.stdout);
    expect(tool!.parent).toBe('make');
    expect(peakFromLog(tasksLog(dir)).peak).toBeLessThanOrEqual(4);
    expect(tool!.most).toBe(4);
  });

  it('the command ends while jobslot run waits above for a token: the process ends with it', async () => {
    // -j2, the other token held by a job that ends 3 s after the tool is done.
    // The tool's client waits for a second slot, so jobslot run waits above
    // for it; the tool gives up and ends: nothing of jobslot run's may keep
    // the process alive until that token comes.
    const { dir, env } = project();
    const log = join(dir, 'tasks.log');
    const makefile = [
      'all: holder tool',
      `holder:\n\techo start holder $$(date +%s%3N) >> ${log}; while ! grep -q '^done' ${log} 2>/dev/null; do sleep 0.05; done; sleep 3`,
      `tool: holder-started\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool give-up; echo ended x $$(date +%s%3N) >> ${log}`,
      `holder-started:\n\t@while ! grep -q '^start' ${log} 2>/dev/null; do sleep 0.02; done`,
      '',
    ].join('\n');
    const result = await runMake({ make, dir, jobs: 2, makefile, env: { ...env, NODE_OPTIONS: '--v8-pool-size=1' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    // (The recipe is a shell's: its parent is sh, with no node between.)
    expect(reports(result.stdout)[0]!.parent).toBe('sh');
    const at = (word: string) => Number(/^(\w+) \S+ (\d+)/m.exec(tasksLog(dir).split('\n').find((l) => l.startsWith(word))!)![2]);
    // Well under the holder's 3 s (ending takes ~0.1 s).
    expect(at('ended') - at('done')).toBeLessThan(2000);
  });

  it('on fewer slots than its V8 helper threads (here beside another job), it runs in a node of its own sized to them', async () => {
    // -j2, the other token held by a job that waits for the tool to end: the tool holds one slot.
    // In a node of its own it would get --v8-pool-size=1; here it would keep this process's pool.
    const { dir, env } = project();
    const log = join(dir, 'tasks.log');
    const makefile = [
      'all: holder tool',
      `holder:\n\techo start holder $$(date +%s%3N) >> ${log}; while ! grep -q '^end' ${log} 2>/dev/null; do sleep 0.05; done`,
      `tool: holder-started\n\t+@node ${sh(CLI)} run -- node_modules/.bin/tool tasks 1`,
      `holder-started:\n\t@while ! grep -q '^start' ${log} 2>/dev/null; do sleep 0.02; done`,
      '',
    ].join('\n');
    // node's default pool of 4 helpers: a node of its own.
    const spawned = await runMake({ make, dir, jobs: 2, makefile, env });
    expect(spawned.code, spawned.stderr).toBe(0);
    expect(spawned.leakLine).toBeUndefined();
    expect(reports(spawned.stdout)[0]).toMatchObject({ parent: 'jobslot', NODE_OPTIONS: '--v8-pool-size=1' });
    // jobslot started with one helper: here.
    writeFileSync(log, '');
    const here = await runMake({ make, dir, jobs: 2, makefile, env: { ...env, NODE_OPTIONS: '--v8-pool-size=1' } });
    expect(here.code, here.stderr).toBe(0);
    expect(here.leakLine).toBeUndefined();
    expect(reports(here.stdout)[0]).toMatchObject({ parent: 'make' });
  });

  it('a wrapper that waits for its program synchronously (as tsc 7’s does) runs in a node of its own: jobslot run’s event loop must not stand still', async () => {
    const { dir, env } = project();
    symlinkSync(SYNC_WRAPPER, join(dir, 'node_modules/.bin/wrapper'));
    const result = await runMake({ make, dir, jobs: 4, makefile: `all:\n\t+@node ${sh(CLI)} run -- node_modules/.bin/wrapper\n`, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(JSON.parse(result.stdout.split('\n').find((l) => l.startsWith('{'))!)).toEqual({ parent: 'jobslot' });
  });

  it.each([
    ['rolldown', 'rolldown.config.mjs', "{ input: 'main.js', output: { dir: 'out' } }", '-c --silent'],
    ['rspack', 'rspack.config.mjs', "{ mode: 'production', entry: './main.js', output: { path: new URL('out', import.meta.url).pathname }, stats: 'none' }", 'build'],
    ['rsbuild', 'rsbuild.config.mjs', "{ mode: 'production', source: { entry: { index: './main.js' } }, output: { distPath: { root: 'out' } }, performance: { printFileSize: false } }", 'build'],
  ])('-j2 alone, %s (its work in native threads): in the process all the same, its threads sized to the 2 slots', async (tool, config, options, args) => {
    // Two slots fit one V8 helper, fewer than this node's 4; a node of its own would start with one.
    // rspack's and rolldown's helpers have little to do (native-program.ts: anyV8Pool), so no second node.
    const { dir, env } = project();
    writeFileSync(join(dir, 'main.js'), 'export const answer = 42;\nconsole.log(answer);\n');
    writeFileSync(
      join(dir, config),
      [
        "import { readFileSync, writeFileSync } from 'node:fs';",
        "const parent = readFileSync(`/proc/${process.ppid}/comm`, 'utf8').trim();",
        "writeFileSync('where.json', JSON.stringify({ parent, RAYON_NUM_THREADS: process.env.RAYON_NUM_THREADS, TOKIO_WORKER_THREADS: process.env.TOKIO_WORKER_THREADS }));",
        `export default ${options};`,
        '',
      ].join('\n'),
    );
    const result = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node ${sh(CLI)} run -- ${sh(join(BIN, tool))} ${args}\n`, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, 'where.json'), 'utf8'))).toEqual({ parent: 'make', RAYON_NUM_THREADS: '2', TOKIO_WORKER_THREADS: '2' });
    expect(readdirSync(join(dir, 'out')).length).toBeGreaterThan(0);
  });

  it('a pnpm shim of a real tool (rollup): in the process, with the NODE_PATH the shim sets', async () => {
    const { dir, env } = project();
    writeFileSync(join(dir, 'main.js'), 'export const answer = 42;\n');
    writeFileSync(
      join(dir, 'rollup.config.mjs'),
      [
        "import { readFileSync, writeFileSync } from 'node:fs';",
        "const parent = readFileSync(`/proc/${process.ppid}/comm`, 'utf8').trim();",
        "writeFileSync('where.json', JSON.stringify({ parent, NODE_PATH: process.env.NODE_PATH ?? null, GOMAXPROCS: process.env.GOMAXPROCS }));",
        "export default { input: 'main.js', output: { file: 'out/main.js', format: 'es' } };",
        '',
      ].join('\n'),
    );
    const result = await runMake({ make, dir, jobs: 5, makefile: `all:\n\t+@node ${sh(CLI)} run -- ${sh(ROLLUP_SHIM)} -c --silent\n`, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.leakLine).toBeUndefined();
    const where = JSON.parse(readFileSync(join(dir, 'where.json'), 'utf8'));
    expect(where.parent).toBe('make');
    expect(where.GOMAXPROCS).toBe('5');
    // As the shim exports it: rollup's own node_modules in pnpm's store first.
    const exported = /^\s*export NODE_PATH="([^"]*)"$/m.exec(readFileSync(ROLLUP_SHIM, 'utf8'))![1];
    expect(where.NODE_PATH).toBe(process.env.NODE_PATH ? `${exported}:${process.env.NODE_PATH}` : exported);
    expect(readFileSync(join(dir, 'out/main.js'), 'utf8')).toContain('42');
  });
});
