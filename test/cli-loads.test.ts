// What `jobslot run` loads: it stands between make and every build it wraps,
// so each module it loads and does not use is start-up time that build pays
// (issue 24's "no tax"). Beneath real make, `jobslot run -- true` loads no
// Windows file, none of the report's (HTML, SVG, Chrome trace), and none of
// the other subcommands' (serve's daemon, env, status). Counted from what
// node actually loaded (a loader hook that writes each file), then read from
// the built files' own `// src/...` markers. Before, main.ts imported every
// subcommand's module at start. Nor does it load commander and the whole
// program (every subcommand's options and help: program.ts): a plain `jobslot
// run` reads its own command line (run-args.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, ROOT, runMake, sh, tempDir } from './support/index.js';

const { available } = makeBins();
const RECORD = join(ROOT, 'test/fixtures/core/record-loads.mjs');
const RECORD_CJS = join(ROOT, 'test/fixtures/core/record-requires.cjs');

/** The src files whose code is in the files listed. */
const sourcesIn = (files: string[]) => files.filter((f) => f.includes('/packages/core/dist/')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\/\/ (src\/\S+\.ts)$/gm)].map((m) => m[1]!));

describe.each(available)('make $version -j2', (make) => {
  it.each([
    ['run -- true'],
    ['run --max 2 --style fifo -- true'],
    ['run --max=2 true'],
  ])('`jobslot %s` loads its own code only: no commander, no Windows, report, daemon, env or status module', async (args) => {
    const dir = tempDir('jobslot-loads-');
    const loads = join(dir, 'loads.txt');
    const r = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node --import ${sh(RECORD)} --require ${sh(RECORD_CJS)} ${sh(CLI)} ${args}\n`, env: { LOADS_FILE: loads } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.leakLine).toBeUndefined();
    const files = [...new Set(readFileSync(loads, 'utf8').split('\n').filter(Boolean))];
    const sources = sourcesIn(files);
    expect(sources).toContain('src/cli/run.ts');
    const unneeded = sources.filter((s) => /^src\/(windows|report)\/|^src\/cli\/(daemon|env|status|report|run-windows|program)\.ts$/.test(s));
    expect(unneeded).toEqual([]);
    expect(files.filter((f) => /[\\/]node_modules[\\/]commander[\\/]/.test(f))).toEqual([]);
  });

  // Signals reach only the main thread: on Linux jobslot tells it by its thread id,
  // where node:worker_threads (and the streams and message ports it brings) cost ~1.5 ms.
  it.runIf(process.platform === 'linux')('`jobslot run -- true` loads no node:worker_threads', async () => {
    const dir = tempDir('jobslot-loads-');
    const loads = join(dir, 'loads.txt');
    // (--require only: record-loads.mjs's loader hook runs in a worker thread of its own)
    const r = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node --require ${sh(RECORD_CJS)} ${sh(CLI)} run -- true\n`, env: { LOADS_FILE: loads } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.leakLine).toBeUndefined();
    const loaded = readFileSync(loads, 'utf8').split('\n');
    expect(sourcesIn(loaded)).toContain('src/posix/backend.ts');
    expect(loaded).toContain('node:fs');
    // (node itself loads internal/worker/js_transferable at start)
    expect(loaded.filter((m) => m === 'node:worker_threads' || m === 'node:internal/worker')).toEqual([]);
  });

  // A node command runs in jobslot run's own process (in-process.ts) where its V8 pool is no more
  // than a node of its own would get (the slots less one; -j5 alone: node's 4): nothing spawns, so
  // nothing of node's for spawning loads.
  it.runIf(process.platform === 'linux')('`jobslot run -- node script.js` runs the script in its process, loading no node:child_process', async () => {
    const dir = tempDir('jobslot-loads-');
    const loads = join(dir, 'loads.txt');
    writeFileSync(join(dir, 'script.js'), "console.log('ran');\n");
    const r = await runMake({ make, dir, jobs: 5, makefile: `all:\n\t+@node --require ${sh(RECORD_CJS)} ${sh(CLI)} run -- node script.js\n`, env: { LOADS_FILE: loads } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ran');
    expect(r.leakLine).toBeUndefined();
    const loaded = readFileSync(loads, 'utf8').split('\n');
    // The script was loaded by the process that recorded jobslot's own modules.
    expect(loaded).toContain(join(dir, 'script.js'));
    expect(sourcesIn(loaded)).toContain('src/cli/in-process.ts');
    // (node:net comes with the script's console.log on a pipe, as under plain node.)
    expect(loaded.filter((m) => m === 'node:child_process')).toEqual([]);
  });
});
