// A new user's project for the release check: made in a fresh folder outside
// the workspace, installed from the tarballs with the install line the
// package's README prints, built with the README's Makefile recipe under real
// make (support's runMake), and judged by make's own leak line, the files
// built, and the installed `jobslot report` on the build's trace.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { fileTree, makeBins, ROOT, run, runMake, type MakeBin } from '../support/index.js';
import { PNPM, userEnv, userProcessEnv } from './env.js';

const semver = createRequire(import.meta.url)('semver') as {
  prerelease(v: string): unknown;
  minSatisfying(vs: string[], r: string): string | null;
  maxSatisfying(vs: string[], r: string): string | null;
  lt(a: string, b: string): boolean;
  gte(a: string, b: string): boolean;
  major(v: string): number;
};
export { semver };

/** The tarballs and the work folder pack.setup.ts made. */
export const release = () => inject('release');

/** Runs a command as the user would, in `cwd`; the output is stdout and stderr together. */
export async function userRun(cmd: string, args: string[], cwd: string, extra: Record<string, string | undefined> = {}, timeoutMs = 600_000) {
  const r = await run(cmd, args, { cwd, env: userProcessEnv(extra), timeoutMs });
  return { code: r.code, output: r.stdout + r.stderr };
}

/** A fresh, empty project folder under the release work folder. */
export function projectDir(name: string): string {
  const dir = join(release().work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** Some real code: modules that import each other, enough for minifiers and chunking to work on. */
export function sources(dir: string, ext: 'js' | 'ts' = 'js', count = 12): void {
  const files: Record<string, string> = {};
  const typed = ext === 'ts';
  for (let i = 0; i < count; i++) {
    const next = i + 1 < count ? `import { f${i + 1} } from './m${i + 1}.${ext}';\n` : '';
    // Each function calls the next once: the bundles would run in linear time, were they run.
    const body = [`  out.push(${next ? `f${i + 1}(n)` : 'n'});`, ...Array.from({ length: 40 }, (_, k) => `  out.push(n * ${k} + '${'x'.repeat(20)}${i}-${k}'.length);`)].join('\n');
    files[`src/m${i}.${ext}`] = `${next}export function f${i}(n${typed ? ': number' : ''}) {\n  const out${typed ? ': number[]' : ''} = [];\n${body}\n  return out.reduce((a, b) => a + b, 0);\n}\n`;
  }
  write(dir, files);
}

/** Entry files a, b, c (d) that start the chain of modules at different points. */
export function entries(names: string[], starts: number[]): Record<string, string> {
  return Object.fromEntries(names.map((n, i) => [`src/${n}.js`, `import { f${starts[i]} } from './m${starts[i]}.js';\nconsole.log('${n}', f${starts[i]}(${i + 1}));\n`]));
}

/** `tool`'s peer range in packages/`pkg`, and the oldest and newest published (non-prerelease) versions it allows. */
export async function peerEnds(pkg: string, tool: string): Promise<{ range: string; oldest: string; newest: string }> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
  const range = manifest.peerDependencies[tool];
  if (!range) throw new Error(`packages/${pkg}/package.json has no peer ${tool}`);
  const [oldest, newest] = await versionEnds(tool, range);
  return { range, oldest, newest };
}

/** The oldest and newest published (non-prerelease) versions of `tool` that `range` allows. */
export async function versionEnds(tool: string, range: string): Promise<[string, string]> {
  const r = await userRun('npm', ['view', tool, 'versions', '--json'], ROOT, {}, 120_000);
  if (r.code !== 0) throw new Error(`npm view ${tool} versions: ${r.output}`);
  const versions = (JSON.parse(r.output) as string[]).filter((v) => !semver.prerelease(v));
  const oldest = semver.minSatisfying(versions, range);
  const newest = semver.maxSatisfying(versions, range);
  if (!oldest || !newest) throw new Error(`no published ${tool} satisfies ${range}`);
  return [oldest, newest];
}

export interface ReadmeLines {
  /** The words after `npm install --save-dev` (sh quoting undone). */
  npm: string[];
  /** The words after `pnpm add -D`, where the README has such a line. */
  pnpm: string[] | undefined;
  /** The Makefile recipe line, with its tab and `+`. */
  recipe: string;
}

/**
 * What packages/`pkg`/README.md tells a user to run for `tool`: the first
 * npm and pnpm lines of its sh blocks that name `tool`, and the first `+`
 * recipe of its make blocks that contains `recipe`. The README is what is tested.
 */
export function readme(pkg: string, tool: string, recipe: string): ReadmeLines {
  const text = readFileSync(join(ROOT, 'packages', pkg, 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  const lines = (lang: string) => blocks.filter((b) => b[1] === lang).flatMap((b) => b[2]!.split('\n'));
  const words = (prefix: string) => {
    const line = lines('sh').find((l) => l.startsWith(prefix) && l.split(/\s+/).includes(tool));
    // as sh unquotes 'x'
    return line?.slice(prefix.length).trim().split(/\s+/).map((w) => w.replace(/'([^']*)'/g, '$1'));
  };
  const npm = words('npm install --save-dev ');
  const found = lines('make').find((l) => l.startsWith('\t+') && l.includes(recipe));
  if (!npm || !found) throw new Error(`packages/${pkg}/README.md has no \`npm install --save-dev\` line naming ${tool}, or no \`+\` recipe with \`${recipe}\` in a make block`);
  return { npm, pnpm: words('pnpm add -D '), recipe: found };
}

/** The README's words with the tarballs for our packages, `name@version` for the pinned ones, then `extra`. */
function specs(words: string[], pins: Record<string, string>, extra: string[]): string[] {
  const { tarballs } = release();
  const given = words.filter((w) => !w.startsWith('-')).map((w) => tarballs[w] ?? (pins[w] ? `${w}@${pins[w]}` : w));
  return [...given, ...extra];
}

async function mustInstall(what: string, cmd: string, args: string[], dir: string): Promise<void> {
  console.log(`${dir}: ${what}`);
  const r = await userRun(cmd, args, dir);
  expect(r.code, `${what} in ${dir}\n${r.output.slice(-6000)}`).toBe(0);
}

/** The README's npm line, in `dir`. */
export async function npmInstall(dir: string, words: string[], pins: Record<string, string>, extra: string[] = []): Promise<void> {
  const args = ['install', '--save-dev', '--no-audit', '--no-fund', '--loglevel=error', ...specs(words, pins, extra)];
  await mustInstall(`npm ${args.join(' ')}`, 'npm', args, dir);
}

/** The README's pnpm line. The packages are not on the registry yet: overrides point pnpm at the tarballs. */
export async function pnpmInstall(dir: string, words: string[], pins: Record<string, string>, extra: string[] = []): Promise<void> {
  const overrides = Object.entries(release().tarballs)
    .map(([name, file]) => `  '${name}': 'file:${file}'`)
    .join('\n');
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), `overrides:\n${overrides}\n`);
  const args = [...PNPM.slice(1), 'add', '-D', ...specs(words, pins, extra), ...words.filter((w) => w.startsWith('-'))];
  await mustInstall(`pnpm ${args.slice(2).join(' ')}`, PNPM[0], args, dir);
}

export interface Built {
  code: number | null;
  output: string;
  /** The build's output folder (dist/), path -> contents, after the build. */
  files: Map<string, string>;
}

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * The project's Makefile (`target:` and the README's recipe) under `make -j2`
 * with a jobslot trace: it succeeds, make reports no lost token (no
 * `INTERNAL:` line), jobslot warns of nothing, `outputs` are built, the
 * plugin took tokens from make's jobserver, and the installed `jobslot
 * report` finds every token back and at most 2 slots held. Soft checks: one
 * run reports everything that is wrong with it.
 */
export async function makeBuild(o: {
  make: MakeBin;
  dir: string;
  target: string;
  recipe: string;
  outputs: string[];
  /** a pattern make's output must show (the test runners' count of passed tests) */
  shows?: RegExp;
  /** what counts as a jobslot warning; the default, a warning that the jobserver went unused */
  warning?: RegExp;
  env?: Record<string, string>;
  /** the most tokens the build may take from its jobserver (acquire events): a bound on churn */
  maxAcquired?: number;
}): Promise<Built> {
  const { make, dir } = o;
  const trace = join(dir, 'jobslot-trace.jsonl');
  rmSync(trace, { force: true });
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  const r = await runMake({ make, dir, jobs: 2, makefile: `${o.target}:\n${o.recipe}\n`, env: userEnv({ ...o.env, JOBSLOT_TRACE: trace }), timeoutMs: 600_000 });
  const output = stripAnsi(r.stdout + r.stderr);
  const tail = output.split('\n').slice(-40).join('\n');
  expect.soft(r.code, `make ${make.version} -j2 ${o.target}\n${tail}`).toBe(0);
  expect.soft(r.leakLine, 'make reports a lost token').toBeUndefined();
  expect.soft(output, 'no INTERNAL: line from make').not.toContain('INTERNAL:');
  expect.soft(output, 'no jobslot warning').not.toMatch(o.warning ?? /jobslot: .*running without the jobserver/);
  if (o.shows) expect.soft(output).toMatch(o.shows);
  for (const file of o.outputs) expect.soft(existsSync(join(dir, file)), `${file} built`).toBe(true);
  const events = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ev: string }) : [];
  const acquired = events.filter((e) => e.ev === 'acquire').length;
  expect.soft(acquired, "tokens taken from make's jobserver (acquire events in the trace)").toBeGreaterThan(0);
  if (o.maxAcquired !== undefined) expect.soft(acquired, 'tokens taken: not one per hook call').toBeLessThanOrEqual(o.maxAcquired);
  const report = await userRun(join(dir, 'node_modules/.bin/jobslot'), ['report', '--jobs', '2', trace], dir);
  expect.soft(report.code, report.output).toBe(0);
  expect.soft(report.output, 'jobslot report: every token back').toMatch(/tokens returned +all/);
  expect.soft(report.output, 'jobslot report: at most 2 slots').toMatch(/peak slots +[12] of -j2\b/);
  console.log(`make ${make.version} -j2 in ${dir}: ${acquired} tokens acquired\n${report.output}`);
  return { code: r.code, output, files: existsSync(join(dir, 'dist')) ? fileTree(join(dir, 'dist')) : new Map() };
}

/** The README's recipe without make (a shell runs it): it succeeds, jobslot says nothing, `outputs` are built. */
export async function buildAlone(o: { dir: string; recipe: string; outputs: string[]; shows?: RegExp; env?: Record<string, string> }): Promise<Built> {
  rmSync(join(o.dir, 'dist'), { recursive: true, force: true });
  const r = await userRun('sh', ['-c', o.recipe.replace(/^\t\+/, '')], o.dir, o.env);
  const output = stripAnsi(r.output);
  expect.soft(r.code, output.split('\n').slice(-40).join('\n')).toBe(0);
  expect.soft(output, 'no jobslot warning').not.toMatch(/^jobslot: /m);
  if (o.shows) expect.soft(output).toMatch(o.shows);
  for (const file of o.outputs) expect.soft(existsSync(join(o.dir, file)), `${file} built`).toBe(true);
  return { code: r.code, output, files: existsSync(join(o.dir, 'dist')) ? fileTree(join(o.dir, 'dist')) : new Map() };
}

/** tsc as a strict user runs it: --strict, node16 resolution, skipLibCheck off (so the plugin's own .d.ts is checked). */
export function strictTsc(dir: string, file: string): Promise<{ code: number | null; output: string }> {
  return userRun('node', [join(dir, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--skipLibCheck', 'false', '--types', 'node', file], dir);
}

/**
 * The builds every project gets, as tests in the caller's describe: under the
 * system make (4.3 here, a pipe) -j2; for the newest version of the tool also
 * under make 4.4.1 (a fifo) and without make, where the files built must be
 * the ones the first make built.
 */
export function buildTests(o: { dir: () => string; target: string; recipe: string; outputs: string[]; newest: boolean; shows?: RegExp; warning?: RegExp; maxAcquired?: number }): void {
  const { available } = makeBins();
  const makes = o.newest ? available : available.slice(0, 1);
  let first: Built | undefined;
  for (const make of makes) {
    it(`make ${make.version} -j2: builds, tokens taken, every one back`, async () => {
      const built = await makeBuild({ ...o, make, dir: o.dir() });
      first ??= built;
    });
  }
  if (!o.newest) return;
  it('without make: the same files built, no jobslot warning', async () => {
    const alone = await buildAlone({ ...o, dir: o.dir() });
    if (first && first.files.size > 0) expect.soft(alone.files, 'the files the make build wrote').toEqual(first.files);
  });
}
