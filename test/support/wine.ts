// Windows under wine, as scripts/setup-wine.sh leaves it in .tools/wine:
// node.exe, a WINEPREFIX set to Windows 10, and node_modules for win32-x64.
// Each test run copies the built @jobslot/core and the fixtures beside them.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, ROOT, tempDir } from './make.js';

export const WINE_DIR = join(ROOT, '.tools/wine');
/** Where node.exe runs: node_modules for Windows, @jobslot/core and the fixtures. */
export const WINE_APP = join(WINE_DIR, 'app');

export interface Wine {
  wine: string;
  wineserver: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The wine set-up, or why there is none. The Windows tests run when
 * JOBSLOT_WINE=1 (scripts/test-windows.sh sets it, after setting wine up);
 * then a missing set-up is a failure, not a skip.
 */
export function findWine(): { wine?: Wine; skipped?: string } {
  if (!process.env.JOBSLOT_WINE) return { skipped: 'Windows tests run under wine with `bash scripts/test-windows.sh`' };
  const envFile = join(WINE_DIR, 'env');
  if (!existsSync(envFile)) throw new Error(`${envFile} is missing: run scripts/setup-wine.sh`);
  const vars = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const env = cleanEnv({ WINEPREFIX: join(WINE_DIR, 'prefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' });
  // The Linux side's node options and paths mean nothing to node.exe.
  for (const k of ['NODE_OPTIONS', 'NODE_PATH', 'npm_config_user_agent']) delete env[k];
  return { wine: { wine: vars.WINE!, wineserver: vars.WINESERVER!, env } };
}

/**
 * GNU make 4.4.1 for Windows, cross-built by scripts/build-make44.sh with
 * MAKE44_HOST=x86_64-w64-mingw32, or why it is missing. Where make 4.4.1 is
 * required (JOBSLOT_REQUIRE_MAKE44, as in CI), missing is a failure.
 */
export function findMakeExe(): { makeExe?: string; skipped?: string } {
  const makeExe = join(ROOT, '.tools/make-4.4.1-x86_64-w64-mingw32/bin/make.exe');
  if (existsSync(makeExe)) return { makeExe };
  const why = `make 4.4.1 for Windows not built (${makeExe} missing): MAKE44_HOST=x86_64-w64-mingw32 bash scripts/build-make44.sh`;
  if (process.env.JOBSLOT_WINE && process.env.JOBSLOT_REQUIRE_MAKE44) throw new Error(why);
  return { skipped: why };
}

/** Copies the built core package and the Windows fixtures where node.exe finds them. */
export function stageApp(): void {
  const core = join(WINE_APP, 'node_modules/@jobslot/core');
  rmSync(core, { recursive: true, force: true });
  mkdirSync(core, { recursive: true });
  cpSync(join(ROOT, 'packages/core/package.json'), join(core, 'package.json'));
  cpSync(join(ROOT, 'packages/core/dist'), join(core, 'dist'), { recursive: true });
  rmSync(join(WINE_APP, 'fixtures'), { recursive: true, force: true });
  cpSync(join(ROOT, 'test/fixtures/windows'), join(WINE_APP, 'fixtures'), { recursive: true });
}

/** A Linux path as Windows programs under wine see it (drive Z: is /). */
export function winPath(path: string): string {
  return 'Z:' + path.replace(/\//g, '\\');
}

export interface WineResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Windows program under wine in WINE_APP, to completion. Its stdout
 * and stderr go to files: node.exe cannot write to a pipe under wine.
 */
export function runWine(wine: Wine, args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<WineResult> {
  const dir = tempDir('jobslot-wine-');
  const out = openSync(join(dir, 'out'), 'w');
  const err = openSync(join(dir, 'err'), 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(wine.wine, args, { cwd: WINE_APP, env: { ...wine.env, ...options.env }, stdio: ['ignore', out, err] });
    closeSync(out);
    closeSync(err);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const read = (f: string) => readFileSync(join(dir, f), 'utf8').replace(/\r\n/g, '\n');
      resolve({ code, stdout: read('out'), stderr: read('err') });
      rmSync(dir, { recursive: true, force: true });
    });
  });
}

/** node.exe under wine, with a script in WINE_APP. */
export function runNodeExe(wine: Wine, args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<WineResult> {
  return runWine(wine, [join(WINE_DIR, 'node.exe'), ...args], options);
}

/** Keeps one wineserver up for the whole file (each start costs ~0.5 s), and ends it after. */
export function startWineserver(wine: Wine): () => void {
  spawn(wine.wineserver, ['-p'], { env: wine.env, stdio: 'ignore' }).unref();
  return () => {
    // Kills whatever is left in our own prefix, and the server.
    spawn(wine.wineserver, ['-k'], { env: wine.env, stdio: 'ignore' }).unref();
  };
}
