// In-process tests: real webpack compilers, real jobservers from core (a fifo,
// as make 4.4 makes), and what webpack and the pools did, seen from hooks and
// /proc. The end-to-end tests under real make are in test/webpack-plugin.test.ts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import webpack, { type Compiler, type Configuration, type Stats } from 'webpack';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobClient, createLimiter, type Limiter, type Token } from '@jobslot/core';
import { type Jobserver } from '@jobslot/core/server';
import { testJobserver, type TestJobserver } from '@jobslot/e2e/support';
import { JobslotPlugin } from '../src/index.js';

// The project configs do not inherit the root's 60 s; these run real webpack
// builds on a shared 2-core machine. Bounds, not expectations.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const HERE = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);
const LOADER = join(HERE, 'fixtures/concurrency-loader.cjs');
const THREAD_LOADER = require.resolve('thread-loader');

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fifo jobserver of `jobs` (jobs - 1 tokens), the plugin's client and limiter, and a client for "another job". */
function jobserver(jobs: number): TestJobserver & { other: JobClient } {
  const served = testJobserver(jobs);
  const other = JobClient.fromEnv({ env: served.server.env({}) });
  cleanups.push(() => {
    other.close();
    expect(served.close().lost, 'tokens lost').toBe(0);
  });
  expect(served.client.connected, served.client.error?.message).toBe(true);
  return { ...served, other };
}

/** Another job of the same make holds `n` tokens for the rest of the test. */
function holdTokens(other: JobClient, n: number): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < n; i++) tokens.push(other.tryAcquire()!);
  expect(tokens.every(Boolean)).toBe(true);
  return tokens;
}

/** A project of `modules` small modules imported by one entry. */
function project(modules: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobslot-webpack-unit-'));
  mkdirSync(join(dir, 'src'));
  const imports: string[] = [];
  for (let i = 0; i < modules; i++) {
    writeFileSync(join(dir, 'src', `m${i}.js`), `export const value${i} = ${i} * 2;\n`);
    imports.push(`import { value${i} } from './m${i}.js'; console.log(value${i});`);
  }
  writeFileSync(join(dir, 'src', 'index.js'), `${imports.join('\n')}\n`);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function base(dir: string, extra: Configuration = {}): Configuration {
  return {
    mode: 'production',
    context: dir,
    entry: './src/index.js',
    devtool: false,
    cache: false,
    output: { path: join(dir, 'dist', String(Math.random()).slice(2)) },
    optimization: { minimize: false },
    infrastructureLogging: { level: 'error' },
    ...extra,
  };
}

function build(config: Configuration | Configuration[]): Promise<Stats | webpack.MultiStats> {
  return new Promise((resolve, reject) => {
    const compiler = webpack(config as Configuration);
    compiler.run((error, stats) => {
      compiler.close(() => (error ? reject(error) : stats!.hasErrors() ? reject(new Error(stats!.toString('errors-only'))) : resolve(stats!)));
    });
  });
}

interface LoaderState {
  active: number;
  max: number;
  runs: number;
}
function loaderState(): LoaderState {
  const g = globalThis as { __jobslotLoaderState?: LoaderState };
  g.__jobslotLoaderState = { active: 0, max: 0, runs: 0 };
  return g.__jobslotLoaderState;
}

describe('a slot per compiler run', () => {
  /** Counts compilers between compile and done, at most at once. */
  function overlap(): { plugin: { apply(c: Compiler): void }; max: () => number } {
    let active = 0;
    let max = 0;
    return {
      plugin: {
        apply(compiler: Compiler) {
          compiler.hooks.compile.tap('Overlap', () => (max = Math.max(max, ++active)));
          compiler.hooks.done.tap('Overlap', () => void active--);
        },
      },
      max: () => max,
    };
  }
  const four = (dir: string, plugins: Array<{ apply(c: Compiler): void }>) =>
    [0, 1, 2, 3].map((i) => base(dir, { name: `c${i}`, module: { rules: [{ test: /m\d+\.js$/, use: [LOADER] }] }, plugins }));

  it('an array config runs at most 1 + held compilers at once, and gives the tokens back', async () => {
    const dir = project(6);
    const { limiter, client } = jobserver(2);
    const seen = overlap();
    await build(four(dir, [new JobslotPlugin({ limiter }), seen.plugin]));
    expect(seen.max()).toBe(2);
    expect(client.held).toBe(0);
    expect(limiter.active).toBe(0);

    // With the only token taken by another job: one compiler at a time.
    const { limiter: busy, other } = jobserver(2);
    holdTokens(other, 1);
    const alone = overlap();
    await build(four(dir, [new JobslotPlugin({ limiter: busy }), alone.plugin]));
    expect(alone.max()).toBe(1);
  });

  it('without the plugin the same array config runs all four at once (the control)', async () => {
    const dir = project(6);
    const seen = overlap();
    await build(four(dir, [seen.plugin]));
    expect(seen.max()).toBe(4);
  });
});

describe('minimizer pools', () => {
  /** A minimizer of the minimizer-webpack-plugin family's shape that records what it is given. */
  class RecordingMinimizer {
    readonly options = { parallel: true, test: /\.js$/ };
    readonly seen: Array<{ cores: number; held: number }> = [];
    constructor(private readonly client: JobClient) {}
    apply(compiler: Compiler): void {
      compiler.hooks.compilation.tap('Recording', (compilation) => {
        compilation.hooks.processAssets.tapPromise({ name: 'Recording', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_SIZE }, (assets) =>
          this.optimize(compiler, compilation, assets, { availableNumberOfCores: 7 }),
        );
      });
    }
    async optimize(_compiler: Compiler, _compilation: unknown, _assets: unknown, options: { availableNumberOfCores: number }): Promise<void> {
      this.seen.push({ cores: options.availableNumberOfCores, held: this.client.held });
    }
  }

  function entries(dir: string, n: number): Record<string, string> {
    return Object.fromEntries(Array.from({ length: n }, (_, i) => [`e${i}`, `./src/m${i}.js`]));
  }

  it('sizes the pool to 1 + the tokens it could take for the assets to minify, and gives them back', async () => {
    const dir = project(4);
    const { limiter, client } = jobserver(4);
    const minimizer = new RecordingMinimizer(client);
    const config = (n: number) =>
      base(dir, { entry: entries(dir, n), optimization: { minimize: true, minimizer: [minimizer] }, plugins: [new JobslotPlugin({ limiter })] });

    // 4 assets, 3 free tokens: the pool the plugin would start (4) is reached.
    await build(config(4));
    // 2 assets: one token is enough.
    await build(config(2));
    expect(minimizer.seen).toEqual([
      { cores: 4, held: 3 },
      { cores: 2, held: 1 },
    ]);
    expect(client.held).toBe(0);
  });

  it('takes only the tokens that are free (never waits)', async () => {
    const dir = project(4);
    const { limiter, client, other } = jobserver(4);
    holdTokens(other, 2);
    const minimizer = new RecordingMinimizer(client);
    await build(base(dir, { entry: entries(dir, 4), optimization: { minimize: true, minimizer: [minimizer] }, plugins: [new JobslotPlugin({ limiter })] }));
    expect(minimizer.seen).toEqual([{ cores: 2, held: 1 }]);
    expect(client.held).toBe(0);
  });
});

describe('module builds in slots (moduleBuilds)', () => {
  const config = (dir: string, plugins: Array<{ apply(c: Compiler): void }>) => base(dir, { module: { rules: [{ test: /m\d+\.js$/, use: [LOADER] }] }, plugins });

  it('runs at most 1 + held loader runs at once, taking tokens while builds wait', async () => {
    const dir = project(8);
    const { limiter, client } = jobserver(3);
    const state = loaderState();
    await build(config(dir, [new JobslotPlugin({ limiter, moduleBuilds: true })]));
    expect(state.runs).toBe(8);
    expect(state.max).toBe(3);
    expect(client.held).toBe(0);
    expect(limiter.active).toBe(0);
  });

  it('with no token free, runs one at a time and still finishes', async () => {
    const dir = project(8);
    const { limiter, other } = jobserver(3);
    holdTokens(other, 2);
    const state = loaderState();
    await build(config(dir, [new JobslotPlugin({ limiter, moduleBuilds: true })]));
    expect(state.runs).toBe(8);
    expect(state.max).toBe(1);
  });

  it('off (the default) and without the plugin, webpack runs them all at once (the control)', async () => {
    const dir = project(8);
    const { limiter } = jobserver(3);
    let state = loaderState();
    await build(config(dir, [new JobslotPlugin({ limiter })]));
    expect(state.max).toBe(8);
    state = loaderState();
    await build(config(dir, []));
    expect(state.max).toBe(8);
  });
});

describe('thread-loader pools', () => {
  /** thread-loader's worker processes (children of this process), the most alive at once while `during` runs. */
  async function peakWorkers(during: () => Promise<unknown>): Promise<number> {
    const count = () => {
      let n = 0;
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
          if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('thread-loader')) n++;
        } catch {
          // gone meanwhile
        }
      }
      return n;
    };
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, count())), 5);
    try {
      await during();
    } finally {
      clearInterval(timer);
    }
    // Let this pool end (poolTimeout) before the next test counts.
    const end = Date.now() + 10_000;
    while (count() > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return peak;
  }
  const config = (dir: string, plugins: Array<{ apply(c: Compiler): void }>) =>
    base(dir, { module: { rules: [{ test: /m\d+\.js$/, use: [{ loader: THREAD_LOADER, options: { workers: 4, poolTimeout: 100 } }] }] }, plugins });

  it('starts at most 1 + held workers, and gives the tokens back when modules are built', async () => {
    const dir = project(24);
    const { limiter, client } = jobserver(3);
    const peak = await peakWorkers(() => build(config(dir, [new JobslotPlugin({ limiter })])));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(client.held).toBe(0);
  });

  it('with no token free, one worker', async () => {
    const dir = project(24);
    const { limiter, other } = jobserver(3);
    holdTokens(other, 2);
    expect(await peakWorkers(() => build(config(dir, [new JobslotPlugin({ limiter })])))).toBe(1);
  });

  it('without the plugin, the workers asked for (the control)', async () => {
    const dir = project(24);
    expect(await peakWorkers(() => build(config(dir, [])))).toBe(4);
  });
});

describe('without a jobserver', () => {
  it('taps nothing: webpack runs as it always does', () => {
    const limiter = createLimiter(JobClient.fromEnv({ env: {} }));
    cleanups.push(() => limiter.close());
    expect(limiter.limited).toBe(false);
    const compiler = webpack(base(project(1), { plugins: [new JobslotPlugin({ limiter })] }));
    const taps = Object.values(compiler.hooks).flatMap((hook) => ((hook as { taps?: Array<{ name: string }> }).taps ?? []).map((t) => t.name));
    expect(taps).not.toContain('JobslotPlugin');
  });
});
