// A plugin loads one platform's code: @jobslot/core's index and /plugin
// subpath, in the ES module build and the CommonJS build, load the POSIX
// backend and no Windows file on Linux, and (process.platform set to win32
// before core loads) the Windows backend and none of the POSIX backend's
// files. Counted from what node actually loaded (the scripts V8 compiled,
// from its coverage), then read from the built files' own `// src/...`
// markers. The CommonJS build used to bundle both backends into
// index.cjs (lazily run, but loaded).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './support/index.js';

const FIXTURE = join(ROOT, 'test/fixtures/core/loaded-files.mjs');

/** The src files whose code is in the dist files loaded. */
function sourcesLoaded(format: 'esm' | 'cjs', platform?: string): string[] {
  const coverage = tempDir('jobslot-loaded-');
  const out = execFileSync('node', [FIXTURE, format, ...(platform ? [platform] : [])], { cwd: join(ROOT, 'test'), encoding: 'utf8', env: { ...process.env, NODE_V8_COVERAGE: coverage } });
  const files = JSON.parse(out) as string[];
  expect(files.length).toBeGreaterThan(1);
  return files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\/\/ (src\/\S+\.ts)$/gm)].map((m) => m[1]!));
}

/**
 * The POSIX backend and what only it uses: posix/ less the small readers a
 * plugin imports statically (through discovery and /plugin) and that say
 * "not here" off Linux: /proc (proc, children), the pool hint, and the
 * refusals file beside `jobslot run`'s fifo (webpack's top-up).
 */
const POSIX_BACKEND = /^src\/posix\/(?!proc\.ts|pool-hint\.ts|children\.ts|refusals\.ts)/;

describe.each(['esm', 'cjs'] as const)('@jobslot/core (%s build) as a plugin loads it', (format) => {
  it('on Linux: the POSIX backend, no Windows file', () => {
    const sources = sourcesLoaded(format);
    expect(sources).toContain('src/posix/backend.ts');
    expect(sources.filter((s) => s.startsWith('src/windows/'))).toEqual([]);
  });

  it("on Windows: the Windows backend, none of the POSIX backend's files", () => {
    const sources = sourcesLoaded(format, 'win32');
    expect(sources).toContain('src/windows/backend.ts');
    expect(sources.filter((s) => POSIX_BACKEND.test(s))).toEqual([]);
  });
});
