// What `jobslot run` loads: it stands between make and every build it wraps,
// so each module it loads and does not use is start-up time that build pays
// (issue 24's "no tax"). Beneath real make, `jobslot run -- true` loads no
// Windows file, none of the report's (HTML, SVG, Chrome trace), and none of
// the other subcommands' (serve's daemon, env, status). Counted from what
// node actually loaded (a loader hook that writes each file), then read from
// the built files' own `// src/...` markers. Before, main.ts imported every
// subcommand's module at start.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeBins, ROOT, runMake, sh, tempDir } from './support/index.js';

const { available } = makeBins();
const RECORD = join(ROOT, 'test/fixtures/core/record-loads.mjs');

/** The src files whose code is in the files listed. */
const sourcesIn = (files: string[]) => files.filter((f) => f.includes('/packages/core/dist/')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\/\/ (src\/\S+\.ts)$/gm)].map((m) => m[1]!));

describe.each(available)('make $version -j2', (make) => {
  it('`jobslot run -- true` loads its own code only: no Windows, report, daemon, env or status module', async () => {
    const dir = tempDir('jobslot-loads-');
    const loads = join(dir, 'loads.txt');
    const r = await runMake({ make, dir, jobs: 2, makefile: `all:\n\t+@node --import ${sh(RECORD)} ${sh(CLI)} run -- true\n`, env: { LOADS_FILE: loads } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.leakLine).toBeUndefined();
    const sources = sourcesIn(readFileSync(loads, 'utf8').split('\n').filter(Boolean));
    expect(sources).toContain('src/cli/run.ts');
    const unneeded = sources.filter((s) => /^src\/(windows|report)\/|^src\/cli\/(daemon|env|status|report|run-windows)\.ts$/.test(s));
    expect(unneeded).toEqual([]);
  });
});
