// TypeScript 7's tsc (native, in Go) beneath `jobslot run`: GOMAXPROCS sized
// to the slots keeps its checker and builder goroutines within them. Counted
// from /proc (threads in state R across the tree), against a control run
// without jobslot on a simulated 16-core machine (GOMAXPROCS=16, what Go
// would take there), under make 4.3 and 4.4.1.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, fileTree, makeBins, ROOT, runSampled, tempDir, type MakeBin } from './support/index.js';
import { expectRecipeReported, traceIn } from './support/slot-report.js';

const TSC = join(ROOT, 'test/node_modules/typescript7/bin/tsc');
const { available } = makeBins();
const JOBS = 2;

/** Three projects (two referenced by the third), 20 modules each. */
function writeProject(dir: string): void {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ files: [], references: [{ path: './p0' }, { path: './p1' }, { path: './p2' }] }));
  for (let p = 0; p < 3; p++) {
    const src = join(dir, `p${p}`, 'src');
    mkdirSync(src, { recursive: true });
    for (let f = 0; f < 20; f++) {
      let text = `export interface T${f}<X> { a: X; b: Array<X>; c: Record<string, X> }\n`;
      for (let k = 0; k < 30; k++) {
        text += `export function f${f}_${k}<X extends { n: number }>(x: T${f}<X>): number { return x.b.reduce((s, y) => s + y.n, ${k}) + Object.keys(x.c).length; }\n`;
      }
      writeFileSync(join(src, `m${f}.ts`), text);
    }
    const references = p === 2 ? [{ path: '../p0' }, { path: '../p1' }] : [];
    const compilerOptions = { composite: true, strict: true, outDir: 'dist', rootDir: 'src', target: 'es2022', module: 'esnext', declaration: true };
    writeFileSync(join(dir, `p${p}`, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'], references }));
  }
}

/** Every emitted file, relative path -> contents. */
function outputs(dir: string): Map<string, string> {
  return fileTree(dir, (path) => path.includes('/dist/'));
}

/** Runs make -jJOBS on `recipe` in a fresh copy of the project, sampling the tree. */
async function build(make: MakeBin, recipe: string, options: { traced?: boolean } = {}) {
  const dir = tempDir('jobslot-tsc-');
  writeProject(dir);
  writeFileSync(join(dir, 'Makefile'), `all:\n\t${recipe}\n`);
  const { trace, env } = traceIn(dir);
  const started = Date.now();
  // A simulated 16-core machine: what Go's runtime would take there.
  const { code, output, stats, samples, leak } = await runSampled(make.bin, [`-j${JOBS}`, '-s'], { cwd: dir, env: cleanEnv({ GOMAXPROCS: '16', ...(options.traced ? env : {}) }) });
  return { dir, code, output, stats, samples, leak, trace, wallMs: Date.now() - started };
}

describe.skipIf(!existsSync(TSC))('TypeScript 7 (tsc -b) beneath jobslot run', () => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    const r = await build(available[0]!, `@${TSC} -b`);
    expect(r.code, r.output).toBe(0);
    reference = outputs(r.dir);
    expect(reference.size).toBe(3 * 20 * 2);
  }, 120_000);

  it(`control: without jobslot, tsc runs more threads than make -j${JOBS} allows`, async () => {
    const r = await build(available[0]!, `+@${TSC} -b`);
    console.log(`tsc -b alone, GOMAXPROCS=16, make -j${JOBS}: runnable ${JSON.stringify(r.stats.runnable)}`);
    expect(r.code, r.output).toBe(0);
    expect(r.stats.runnable.p95).toBeGreaterThan(JOBS + 2);
  }, 120_000);

  it.each(available)(`make $version -j${JOBS}: runnable threads within the slots, every token back, the same output`, async (make) => {
    const r = await build(make, `+@node ${CLI} run -- ${TSC} -b`, { traced: true });
    console.log(`jobslot run -- tsc -b, make ${make.version} -j${JOBS}: runnable ${JSON.stringify(r.stats.runnable)}`);
    expect(r.code, r.output).toBe(0);
    expect(r.leak, r.output).toBe(false);
    // N Go threads at most, and one or two more now and then (Go's sysmon
    // and GC workers, the node launcher): N + 1 here at rest, N + 2 when the
    // machine is loaded and runnable threads wait longer for a CPU. The
    // control reaches 7 and more.
    expect(r.stats.runnable.p95).toBeLessThanOrEqual(JOBS + 2);
    // tsc's Go binary runs in place of its node wrapper (cli/native-program.ts):
    // make, jobslot run and tsc, never a fourth process (the wrapper's node, before).
    expect(Math.max(...r.samples.map((s) => s.processes))).toBe(3);
    expect(outputs(r.dir)).toEqual(reference);
    // The report sees what jobslot run held for tsc (it said peak 0 and 0.01 s before).
    expectRecipeReported(r.trace, JOBS, r.wallMs);
  }, 120_000);

  it('a type error fails the recipe as tsc alone fails it, with its message, every token back', async () => {
    const run = async (recipe: string) => {
      const dir = tempDir('jobslot-tsc-error-');
      writeProject(dir);
      writeFileSync(join(dir, 'p0/src/m0.ts'), 'export const x: number = "not a number";\n');
      writeFileSync(join(dir, 'Makefile'), `all:\n\t${recipe}; echo "exit $$?"\n`);
      return runSampled(available[0]!.bin, [`-j${JOBS}`, '-s'], { cwd: dir, env: cleanEnv({}) });
    };
    const alone = await run(`+@${TSC} -b`);
    const wrapped = await run(`+@node ${CLI} run -- ${TSC} -b`);
    const status = (output: string) => /^exit (\d+)$/m.exec(output)?.[1];
    expect(status(alone.output), alone.output).toMatch(/^[1-9]/);
    expect(status(wrapped.output), wrapped.output).toBe(status(alone.output));
    expect(wrapped.output).toContain("Type 'string' is not assignable to type 'number'");
    expect(wrapped.leak, wrapped.output).toBe(false);
  }, 120_000);
});
