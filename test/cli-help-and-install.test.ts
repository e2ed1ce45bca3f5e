// What a new user meets first: `jobslot help`, a command named as typed, a
// koffi without its native binary, and the /rollup entry's option check.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, ROOT, run, runMake, tempDir } from './support/index.js';

const NO_BINARY = join(ROOT, 'test/fixtures/core/no-koffi-binary.cjs');
const PROBE = join(ROOT, 'test/fixtures/core/probe.mjs');
const FIX = /reinstall @jobslot\/core without --omit=optional or --ignore-scripts/;

describe('jobslot help, as git and npm take it', () => {
  it('`jobslot help`: the usage, exit 0', async () => {
    const r = await run('node', [CLI, 'help'], { env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: jobslot /);
    expect(r.stdout).toMatch(/\brun\b/);
  });

  it.each(['run', 'report'])('`jobslot help %s`: that command\'s usage, exit 0', async (topic) => {
    const r = await run('node', [CLI, 'help', topic], { env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: jobslot ${topic} `));
  });
});

it('jobslot run names the command as typed: `/nonexistent/cmd gets 2 slots`, not `cmd`', async () => {
  const r = await run('node', [CLI, 'run', '--max', '2', '--', '/nonexistent/cmd'], { env: cleanEnv() });
  expect(r.stderr).toContain('/nonexistent/cmd gets 2 slots');
  expect(r.code).toBe(127);
});

describe('koffi installed without its native binary', () => {
  const make = makeBins().available[0]!;
  it(`a client under make ${make.version}: one warning that says the fix, and it runs without the jobserver`, async () => {
    const result = await runMake({ make, dir: tempDir(), jobs: 2, makefile: `all:\n\t+@node --require ${NO_BINARY} ${PROBE}\n` });
    expect(result.code, result.stderr).toBe(0);
    const probe = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { connected: boolean; kind: string; warnings: string[] };
    expect(probe.connected).toBe(false);
    expect(probe.kind).toBe('no-ffi');
    expect(probe.warnings).toHaveLength(1);
    expect(probe.warnings[0]).toMatch(FIX);
  });

  it('`jobslot -j 2 -- true`: one line that says the fix', async () => {
    const r = await run('node', ['--require', NO_BINARY, CLI, '-j', '2', '--', 'true'], { env: cleanEnv() });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(FIX);
    expect(r.stderr).not.toMatch(/koffi cannot load its native binary.*koffi has no native binary/);
  });
});

it('the /rollup entry\'s unknown-option message names that entry and lists only the options it takes', async () => {
  const { jobslot } = (await import(pathToFileURL(join(ROOT, 'packages/vite-plugin/dist/rollup.js')).href)) as { jobslot(o: unknown): unknown };
  expect(() => jobslot({ tpyo: true })).toThrow(
    new TypeError('@jobslot/vite-plugin/rollup: unknown option `tpyo`; the options are `limiter`, `hooks`, `exclude`, `warnNativeThreads`'),
  );
});
