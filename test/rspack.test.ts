// rspack 2 and rsbuild 2 under make: `jobslot run` sizes rspack's native pools
// (tokio's workers: TOKIO_WORKER_THREADS; rayon's: RAYON_NUM_THREADS) to the
// slots held, and so its parallel loaders' worker threads
// (RSPACK_LOADER_WORKER_THREADS), and @jobslot/webpack-plugin runs on rspack's
// compiler (run slots for an array config, thread-loader sizing) without
// failing the build.
//
// Counted from /proc: threads in state R across make's tree (their mean, and
// p95 for bursts), and rspack's native threads (tokio names its workers and
// blocking threads "tokio-N"; rayon's threads, started from them, inherit the
// name). Control runs go without jobslot on a simulated 16-core machine
// (simulatedCores: what Rust's available_parallelism sees there), under make
// 4.3 and 4.4.1. Builds of rspack alone give the reference output.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, fileTree, makeBins, peakFromLog, processTree, ROOT, runSampled, simulatedCores, tempDir, type MakeBin } from './support/index.js';
import { expectRecipeReported, traceIn } from './support/slot-report.js';

const BIN = join(ROOT, 'test/node_modules/.bin');
const RSPACK = join(BIN, 'rspack');
const RSBUILD = join(BIN, 'rsbuild');
const PLUGIN = join(ROOT, 'packages/webpack-plugin/dist/index.js');
// thread-loader as the webpack plugin's own tests install it.
const THREAD_LOADER = createRequire(join(ROOT, 'packages/webpack-plugin/package.json')).resolve('thread-loader');
const { available } = makeBins();
const JOBS = 2;
const TIMEOUT = 120_000;

/** `entries` entry points of `modules` modules each, and a stylesheet each (Lightning CSS minifies it). */
function writeSources(dir: string, entries: number, modules: number): Record<string, string> {
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  const entry: Record<string, string> = {};
  for (let e = 0; e < entries; e++) {
    let main = `import './s${e}.css';\n`;
    for (let m = 0; m < modules; m++) {
      let text = `export class C${e}_${m} {\n  constructor(x) { this.x = x; this.items = []; }\n`;
      for (let k = 0; k < 30; k++) {
        text += `  method${k}(a, b) { const r = [a, b, this.x, ${k}].map((v, i) => typeof v === 'number' ? v * i + ${k} : String(v).length); this.items.push(r); return r.reduce((s, v) => s + v, 0) > ${k} ? 'result-${e}-${m}-${k}' : null; }\n`;
      }
      writeFileSync(join(src, `m${e}_${m}.js`), `${text}}\n`);
      main += `import { C${e}_${m} } from './m${e}_${m}.js';\nconsole.log(new C${e}_${m}(${m}).method${m % 30}(1, 2));\n`;
    }
    let css = '';
    for (let k = 0; k < 300; k++) css += `.c${e}-${k} { color: #ff0000; margin: 0px 0px 0px 0px; background: linear-gradient(to right, red, blue); }\n`;
    writeFileSync(join(src, `s${e}.css`), css);
    writeFileSync(join(src, `e${e}.js`), main);
    entry[`e${e}`] = `./src/e${e}.js`;
  }
  return entry;
}

/** The project: rspack.config.mjs (rspack alone) and jobslot.config.mjs (the same, with the plugin). */
function writeRspackProject(dir: string): void {
  const entry = writeSources(dir, 8, 80);
  writeFileSync(
    join(dir, 'rspack.config.mjs'),
    `export default {
  mode: 'production', devtool: false, performance: false,
  entry: ${JSON.stringify(entry)},
  output: { path: ${JSON.stringify(join(dir, 'dist'))} },
  module: { rules: [{ test: /\\.css$/, type: 'css/auto' }] },
};
`,
  );
  writeFileSync(
    join(dir, 'jobslot.config.mjs'),
    `import config from './rspack.config.mjs';\nimport { JobslotPlugin } from ${JSON.stringify(PLUGIN)};\nexport default { ...config, plugins: [new JobslotPlugin()] };\n`,
  );
}

/** Every file the build wrote. */
function outputs(dir: string): Map<string, string> {
  return fileTree(join(dir, 'dist'));
}

/** Alongside startSampler: the most rspack native threads ("tokio-N") alive at once in the tree. */
function countNativeThreads(root: number): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    let n = 0;
    for (const p of processTree(root)) {
      let tids: string[] = [];
      try {
        tids = readdirSync(`/proc/${p.pid}/task`);
      } catch {
        continue; // ended meanwhile
      }
      for (const tid of tids) {
        try {
          if (readFileSync(`/proc/${p.pid}/task/${tid}/comm`, 'utf8').startsWith('tokio-')) n++;
        } catch {
          // the thread ended between readdir and read
        }
      }
    }
    peak = Math.max(peak, n);
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Runs make -jJOBS on `recipe` in `dir`, sampling the tree. */
async function make(make: MakeBin, dir: string, recipe: string, env: Record<string, string> = {}) {
  writeFileSync(join(dir, 'Makefile'), `all:\n\t${recipe}\n`);
  let native: { stop(): number } | undefined;
  const r = await runSampled(make.bin, [`-j${JOBS}`, '-s'], { cwd: dir, env: cleanEnv(env), onStart: (pid) => (native = countNativeThreads(pid)) });
  const stats = { ...r.stats, peakProcesses: Math.max(0, ...r.samples.map((x) => x.processes)) };
  const mean = r.samples.reduce((sum, x) => sum + x.runnable, 0) / Math.max(1, r.samples.length);
  return { code: r.code, output: r.output, stats, mean: Math.round(mean * 100) / 100, native: native!.stop(), leak: r.leak || /not returned/.test(r.output) };
}

/** A control build on 16 simulated cores: above the slots by each measure the jobslot runs are held to. */
function expectAboveSlots(r: Awaited<ReturnType<typeof make>>): void {
  expect(r.code, r.output).toBe(0);
  expect(r.mean).toBeGreaterThan(JOBS + 1);
  expect(r.stats.runnable.p95).toBeGreaterThan(2 * JOBS);
  // A tokio worker and a rayon thread per core.
  expect(r.native).toBeGreaterThanOrEqual(2 * 16);
}

/** A build beneath `jobslot run` at make -jJOBS: within the slots, every token back. */
function expectWithinSlots(r: Awaited<ReturnType<typeof make>>): void {
  expect(r.code, r.output).toBe(0);
  expect(r.leak, r.output).toBe(false);
  // On average N threads of CPU work. In bursts up to 2N: rspack's two
  // pools, N tokio workers and N rayon threads, are sized separately (no
  // variable sizes both at once), and a tokio worker may run while others
  // wait on rayon (measured: 4 "tokio-N" threads runnable at -j2 in ~3% of
  // samples, plus jobslot run's own tick now and then).
  expect(r.mean).toBeLessThanOrEqual(JOBS + 0.5);
  expect(r.stats.runnable.p95).toBeLessThanOrEqual(2 * JOBS);
  // N tokio workers and N rayon threads, and tokio's blocking threads for
  // file I/O (RSPACK_BLOCKING_THREADS, left alone: not CPU work), a few here.
  expect(r.native).toBeLessThanOrEqual(2 * JOBS + 6);
  // Sized by jobslot run: the plugin has nothing to warn about.
  expect(r.output).not.toMatch(/native thread pools/);
}

const ready = existsSync(RSPACK) && existsSync(PLUGIN);

describe.skipIf(!ready)('rspack 2 beneath jobslot run, with @jobslot/webpack-plugin', () => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    const dir = tempDir('jobslot-rspack-');
    writeRspackProject(dir);
    const r = await make(available[0]!, dir, `@${RSPACK} build -c rspack.config.mjs`);
    expect(r.code, r.output).toBe(0);
    reference = outputs(dir);
    expect(reference.size).toBe(16);
  }, TIMEOUT);

  it(`control: without jobslot, on 16 cores, rspack runs more threads than make -j${JOBS} allows`, async () => {
    const dir = tempDir('jobslot-rspack-');
    writeRspackProject(dir);
    const r = await make(available[0]!, dir, `+@${RSPACK} build -c rspack.config.mjs`, simulatedCores(16));
    console.log(`rspack alone, 16 cores, make -j${JOBS}: runnable mean ${r.mean} ${JSON.stringify(r.stats.runnable)}, native threads ${r.native}`);
    expectAboveSlots(r);
  }, TIMEOUT);

  it.each(available)(`make $version -j${JOBS}: jobslot run + the plugin keep rspack within the slots, every token back, the same output`, async (mk) => {
    const dir = tempDir('jobslot-rspack-');
    writeRspackProject(dir);
    const { trace, env } = traceIn(dir);
    const started = Date.now();
    const r = await make(mk, dir, `+@node ${CLI} run -- ${RSPACK} build -c jobslot.config.mjs`, { ...simulatedCores(16), ...env });
    const wallMs = Date.now() - started;
    console.log(`jobslot run -- rspack build, make ${mk.version} -j${JOBS}: runnable mean ${r.mean} ${JSON.stringify(r.stats.runnable)}, native threads ${r.native}`);
    expectWithinSlots(r);
    expect(outputs(dir)).toEqual(reference);
    expectRecipeReported(trace, JOBS, wallMs);
  }, TIMEOUT);

  it.each(available)(`make $version -j${JOBS}, the plugin alone: an array config runs at most 1 + held compilers at once; it warns once about moduleBuilds and jobslot run`, async (mk) => {
    const dir = tempDir('jobslot-rspack-multi-');
    const entry = writeSources(dir, 3, 40);
    const log = join(dir, 'runs.log');
    // A compiler's run, logged from its `run` hook (after the plugin's beforeRun gave it a slot) to `done`.
    writeFileSync(
      join(dir, 'multi.config.mjs'),
      `import { appendFileSync } from 'node:fs';
import { JobslotPlugin } from ${JSON.stringify(PLUGIN)};
// moduleBuilds cannot apply on rspack: one warning, and the build goes on.
const jobslot = process.env.WITH_PLUGIN ? [new JobslotPlugin({ moduleBuilds: true })] : [];
const logRuns = { apply(compiler) {
  compiler.hooks.run.tap('log', () => appendFileSync(${JSON.stringify(log)}, 'start ' + compiler.name + ' ' + (performance.timeOrigin + performance.now()) + '\\n'));
  compiler.hooks.done.tap('log', () => appendFileSync(${JSON.stringify(log)}, 'end ' + compiler.name + ' ' + (performance.timeOrigin + performance.now()) + '\\n'));
} };
export default ${JSON.stringify(Object.keys(entry))}.map((name) => ({
  name, mode: 'production', devtool: false, entry: { [name]: './src/' + name + '.js' },
  output: { path: ${JSON.stringify(join(dir, 'dist'))} + '/' + name },
  module: { rules: [{ test: /\\.css$/, type: 'css/auto' }] },
  plugins: [...jobslot, logRuns],
}));
`,
    );
    const control = await make(mk, dir, `+@${RSPACK} build -c multi.config.mjs`);
    const alone = peakFromLog(readFileSync(log, 'utf8'));
    const reference = outputs(dir);
    writeFileSync(log, '');
    const r = await make(mk, dir, `+@${RSPACK} build -c multi.config.mjs`, { WITH_PLUGIN: '1' });
    const governed = peakFromLog(readFileSync(log, 'utf8'));
    console.log(`rspack array config, make ${mk.version} -j${JOBS}: compilers at once ${alone.peak} alone, ${governed.peak} with the plugin`);
    expect(control.code, control.output).toBe(0);
    expect(alone).toEqual({ peak: 3, jobs: 3 });
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(governed.jobs).toBe(3);
    expect(governed.peak).toBeLessThanOrEqual(JOBS);
    // Not under jobslot run: the plugin says once how to size the native pools.
    expect(r.output.match(/native thread pools \(tokio, rayon\) were sized to the machine/g)).toHaveLength(1);
    expect(r.output.match(/moduleBuilds does nothing on rspack/g)).toHaveLength(1);
    expect(outputs(dir)).toEqual(reference);
  }, TIMEOUT);

  it.each(available)(`make $version -j${JOBS}, the plugin alone: thread-loader on rspack starts at most 1 + held workers`, async (mk) => {
    const dir = tempDir('jobslot-rspack-tl-');
    const entry = writeSources(dir, 2, 60);
    // The loader thread-loader runs in its workers: it logs its start and end, with its worker's
    // pid, around 30 ms of CPU. Synchronous, so a worker runs one at a time: the overlap of these
    // logs is the workers at work at once, whatever thread-loader's pools are doing besides.
    const log = join(dir, 'busy.log');
    writeFileSync(
      join(dir, 'busy-loader.cjs'),
      `const { appendFileSync } = require('node:fs');
module.exports = function (source) {
  appendFileSync(${JSON.stringify(log)}, 'start ' + process.pid + ' ' + Date.now() + '\\n');
  const until = Date.now() + 30;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  appendFileSync(${JSON.stringify(log)}, 'end ' + process.pid + ' ' + Date.now() + '\\n');
  return source;
};
`,
    );
    writeFileSync(
      join(dir, 'tl.config.mjs'),
      `import { JobslotPlugin } from ${JSON.stringify(PLUGIN)};
export default {
  mode: 'production', devtool: false, performance: false,
  entry: ${JSON.stringify(entry)},
  output: { path: ${JSON.stringify(join(dir, 'dist'))} },
  module: { rules: [
    { test: /\\.css$/, type: 'css/auto' },
    { test: /\\.js$/, use: [{ loader: ${JSON.stringify(THREAD_LOADER)}, options: { workers: 6 } }, ${JSON.stringify(join(dir, 'busy-loader.cjs'))}] },
  ] },
  plugins: process.env.WITH_PLUGIN ? [new JobslotPlugin()] : [],
};
`,
    );
    const control = await make(mk, dir, `+@${RSPACK} build -c tl.config.mjs`);
    const alone = peakFromLog(readFileSync(log, 'utf8'));
    const reference = outputs(dir);
    writeFileSync(log, '');
    const r = await make(mk, dir, `+@${RSPACK} build -c tl.config.mjs`, { WITH_PLUGIN: '1' });
    const governed = peakFromLog(readFileSync(log, 'utf8'));
    // make, rspack and the workers (thread-loader's are node processes).
    console.log(
      `rspack + thread-loader, make ${mk.version} -j${JOBS}: processes ${control.stats.peakProcesses} alone, ${r.stats.peakProcesses} with the plugin; ` +
        `workers at work at once ${alone.peak} alone, ${governed.peak} with the plugin`,
    );
    expect(control.code, control.output).toBe(0);
    expect(control.stats.peakProcesses).toBe(2 + 6);
    expect(alone.peak).toBeGreaterThan(JOBS);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(governed.jobs).toBe(alone.jobs);
    // The sharp count: at most JOBS workers at work at once.
    expect(governed.peak).toBeLessThanOrEqual(JOBS);
    // Processes, sampled: thread-loader ends an idle pool after its poolTimeout (500 ms) and starts
    // a new one for the next module, and a sample may see the old pool's workers still exiting
    // beside the new one's (CI saw 5 once). Two pools' worth, still below the control's 8.
    expect(r.stats.peakProcesses).toBeLessThanOrEqual(2 + 2 * JOBS);
    expect(outputs(dir)).toEqual(reference);
  }, TIMEOUT);

  it.each(available)(`make $version -j${JOBS}: loaders marked parallel run on N worker threads beneath jobslot run (cpus - 1 alone)`, async (mk) => {
    const dir = tempDir('jobslot-rspack-parallel-');
    const entry = writeSources(dir, 2, 60);
    const log = join(dir, 'threads.log');
    // A loader that works a little and logs which thread ran it.
    writeFileSync(
      join(dir, 'loader.cjs'),
      `const { threadId } = require('node:worker_threads');
module.exports = function (source) {
  require('node:fs').appendFileSync(${JSON.stringify(log)}, threadId + '\\n');
  let x = 0;
  for (let i = 0; i < 1e5; i++) x += i % 7;
  return source + '\\n// ' + x + '\\n';
};
`,
    );
    writeFileSync(
      join(dir, 'parallel.config.mjs'),
      `export default {
  mode: 'production', devtool: false, performance: false,
  entry: ${JSON.stringify(entry)},
  output: { path: ${JSON.stringify(join(dir, 'dist'))} },
  experiments: { parallelLoader: true },
  module: { rules: [
    { test: /\\.css$/, type: 'css/auto' },
    { test: /\\.js$/, use: [{ loader: ${JSON.stringify(join(dir, 'loader.cjs'))}, options: {}, parallel: true }] },
  ] },
};
`,
    );
    const threads = () => new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean)).size;
    const control = await make(mk, dir, `+@${RSPACK} build -c parallel.config.mjs`, simulatedCores(16));
    const alone = threads();
    const reference = outputs(dir);
    writeFileSync(log, '');
    const r = await make(mk, dir, `+@node ${CLI} run -- ${RSPACK} build -c parallel.config.mjs`, simulatedCores(16));
    console.log(`rspack parallel loaders, make ${mk.version} -j${JOBS}: ${alone} loader threads alone, ${threads()} beneath jobslot run`);
    expect(control.code, control.output).toBe(0);
    expect(alone).toBe(16 - 1);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    expect(threads()).toBeLessThanOrEqual(JOBS);
    expect(outputs(dir)).toEqual(reference);
  }, TIMEOUT);
});

/** An rsbuild project: the same sources, the plugin through tools.rspack when WITH_PLUGIN is set. */
function writeRsbuildProject(dir: string): void {
  const entry = writeSources(dir, 8, 80);
  writeFileSync(
    join(dir, 'rsbuild.config.mjs'),
    `import { JobslotPlugin } from ${JSON.stringify(PLUGIN)};
export default {
  // Not from NODE_ENV, which vitest sets to 'test'.
  mode: 'production',
  source: { entry: ${JSON.stringify(entry)} },
  performance: { printFileSize: false },
  tools: { rspack: (config, { appendPlugins }) => { if (process.env.WITH_PLUGIN) appendPlugins(new JobslotPlugin()); } },
};
`,
  );
}

describe.skipIf(!ready || !existsSync(RSBUILD))('rsbuild 2 beneath jobslot run', () => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    const dir = tempDir('jobslot-rsbuild-');
    writeRsbuildProject(dir);
    const r = await make(available[0]!, dir, `@${RSBUILD} build`);
    expect(r.code, r.output).toBe(0);
    reference = outputs(dir);
    // An HTML page, a script and a stylesheet per entry.
    expect(reference.size).toBe(3 * 8);
  }, TIMEOUT);

  it(`control: without jobslot, on 16 cores, rsbuild runs more threads than make -j${JOBS} allows`, async () => {
    const dir = tempDir('jobslot-rsbuild-');
    writeRsbuildProject(dir);
    const r = await make(available[0]!, dir, `+@${RSBUILD} build`, simulatedCores(16));
    console.log(`rsbuild alone, 16 cores, make -j${JOBS}: runnable mean ${r.mean} ${JSON.stringify(r.stats.runnable)}, native threads ${r.native}`);
    expectAboveSlots(r);
  }, TIMEOUT);

  it.each(available)(`make $version -j${JOBS}: jobslot run -- rsbuild build (the plugin in tools.rspack) within the slots, every token back, the same output`, async (mk) => {
    const dir = tempDir('jobslot-rsbuild-');
    writeRsbuildProject(dir);
    const r = await make(mk, dir, `+@node ${CLI} run -- ${RSBUILD} build`, { ...simulatedCores(16), WITH_PLUGIN: '1' });
    console.log(`jobslot run -- rsbuild build, make ${mk.version} -j${JOBS}: runnable mean ${r.mean} ${JSON.stringify(r.stats.runnable)}, native threads ${r.native}`);
    expectWithinSlots(r);
    expect(outputs(dir)).toEqual(reference);
  }, TIMEOUT);
});
