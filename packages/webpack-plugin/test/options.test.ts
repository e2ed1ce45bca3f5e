// Options as JavaScript callers pass them: checked with schema-utils in the
// constructor, as webpack's own plugins (terser-webpack-plugin) check theirs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLimiter, JobClient } from '@jobslot/core';
import { describe, expect, it } from 'vitest';
import { JobslotPlugin } from '../src/index.js';

const make = (options: unknown) => () => new JobslotPlugin(options as never);

describe('JobslotPlugin options', () => {
  it('accepts no options, every documented option, and a real limiter', () => {
    const client = JobClient.fromEnv({ env: {} });
    const limiter = createLimiter(client);
    try {
      expect(make(undefined)).not.toThrow();
      expect(make({ minimizers: false, threadLoader: false, moduleBuilds: true, warnNativeThreads: false, limiter })).not.toThrow();
    } finally {
      limiter.close();
      client.close();
    }
  });

  it('a misspelt option is an error naming it (not silently ignored)', () => {
    expect(make({ minimizer: false })).toThrow(/JobslotPlugin.*options has an unknown property 'minimizer'/s);
  });

  it('a non-boolean switch is an error, not truthy', () => {
    expect(make({ minimizers: 'no' })).toThrow(/options\.minimizers should be a boolean/);
    expect(make({ moduleBuilds: 1 })).toThrow(/options\.moduleBuilds should be a boolean/);
    expect(make({ warnNativeThreads: 'off' })).toThrow(/options\.warnNativeThreads should be a boolean/);
  });

  it('a limiter that is not one is an error, not a plugin that turns itself off', () => {
    expect(make({ limiter: 5 })).toThrow(/options\.limiter should be an object/);
    expect(make({ limiter: {} })).toThrow(/options\.limiter should be a limiter from @jobslot\/core/);
  });
});

describe('JobslotPlugin options, what checking them costs', () => {
  // Loading schema-utils and compiling the schema with ajv took about 0.1 s of CPU in every
  // build (rspack never loads ajv; webpack only for an invalid config): a valid config is
  // checked without it, an invalid one still gets schema-utils' message.
  const loaded = (options: string) => {
    const script = `import { createRequire } from 'node:module';
import { JobslotPlugin } from '@jobslot/webpack-plugin';
let error = '';
try { new JobslotPlugin(${options}); } catch (e) { error = e.message; }
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => /[\\\\/](ajv|schema-utils)[\\\\/]/.test(f));
console.log(JSON.stringify({ ajv: loaded.length > 0, error }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { ajv: boolean; error: string };
  };

  it('a valid config loads neither schema-utils nor ajv', () => {
    expect(loaded('{ minimizers: true, moduleBuilds: false }')).toEqual({ ajv: false, error: '' });
    expect(loaded('')).toEqual({ ajv: false, error: '' });
  });

  it("an invalid one gets schema-utils' message", () => {
    const r = loaded("{ minimizer: 'no' }");
    expect(r.ajv).toBe(true);
    expect(r.error).toMatch(/options has an unknown property 'minimizer'/);
  });
});
