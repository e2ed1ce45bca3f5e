// Options as JavaScript callers pass them: a TypeError naming the option and
// what it allows, when the plugin is made, never a crash in the middle of a build.
import { createLimiter, JobClient } from '@jobslot/core';
import { describe, expect, it } from 'vitest';
import { jobslot } from '../src/index.js';
import { resolveOptions } from '../src/options.js';

const make = (options: unknown) => () => jobslot(options as never);

describe('jobslot() options', () => {
  it('accepts no options and every documented option', () => {
    const client = JobClient.fromEnv({ env: {} });
    const limiter = createLimiter(client);
    try {
      expect(make(undefined)).not.toThrow();
      expect(make({ limiter, hooks: ['transform'], exclude: ['vite:css', /^vite:/], workerPools: false, warnNativeThreads: false })).not.toThrow();
    } finally {
      limiter.close();
      client.close();
    }
  });

  it('`exclude` takes one name or one RegExp as the README reads, not only an array', () => {
    expect(resolveOptions({ exclude: 'vite:css' }).exclude).toEqual(['vite:css']);
    expect(resolveOptions({ exclude: /^vite:/ }).exclude).toEqual([/^vite:/]);
  });

  it.each([
    [{ exclude: 5 }, /option `exclude` must be a plugin name \(string\), a RegExp, or an array of them, got 5/],
    [{ exclude: [1] }, /option `exclude` must be/],
    [{ hooks: ['resolveId'] }, /option `hooks` must be an array of 'transform', 'load', 'renderChunk'/],
    [{ hooks: 'transform' }, /option `hooks` must be an array/],
    [{ workerPools: 'no' }, /option `workerPools` must be true or false, got "no"/],
    [{ limiter: 5 }, /option `limiter` must be a limiter from @jobslot\/core/],
    [{ exlude: 'x' }, /unknown option `exlude`; the options are `limiter`, `hooks`, `exclude`, `workerPools`, `warnNativeThreads`/],
  ])('%j is a TypeError naming the option', (options, message) => {
    expect(make(options)).toThrow(TypeError);
    expect(make(options)).toThrow(message);
  });
});
