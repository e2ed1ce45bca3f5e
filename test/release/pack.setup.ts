// Packs the packages once for every release test, as `changeset publish`
// packs them: built first (turbo; a no-op when the build is up to date, as in
// CI after the suite), then `pnpm pack`, which turns `workspace:*` into the
// real version and runs .pnpmfile.cjs's beforePacking. The tarballs' paths go
// to the tests through vitest's provide/inject.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT, run, tempDir } from '../support/make.js';
import { PACKAGES, PNPM, userProcessEnv } from './env.js';

export interface Release {
  /** Where the tarballs and the fresh projects go (outside the workspace). */
  work: string;
  /** Package name -> its tarball. */
  tarballs: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    release: Release;
  }
}

async function must(cmd: string, args: string[], cwd: string): Promise<void> {
  const r = await run(cmd, args, { cwd, env: userProcessEnv(), timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code ?? r.signal} in ${cwd}\n${(r.stdout + r.stderr).slice(-4000)}`);
}

export default async function setup(project: TestProject) {
  const work = tempDir('jobslot-release-');
  const dest = join(work, 'tarballs');
  mkdirSync(dest);
  await must(PNPM[0], [...PNPM.slice(1), 'run', 'build'], ROOT);
  const tarballs: Record<string, string> = {};
  for (const p of PACKAGES) {
    const dir = join(ROOT, 'packages', p);
    await must(PNPM[0], [...PNPM.slice(1), 'pack', '--pack-destination', dest], dir);
    const name = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
    const file = readdirSync(dest).find((f) => f.startsWith(`${name.replace('@', '').replace('/', '-')}-`));
    if (!file) throw new Error(`pnpm pack left no tarball for ${name} in ${dest}`);
    tarballs[name] = join(dest, file);
  }
  project.provide('release', { work, tarballs });
  console.log(`release check: tarballs and projects in ${work}`);
  return () => {
    if (!process.env.JOBSLOT_KEEP_RELEASE) rmSync(work, { recursive: true, force: true });
  };
}
