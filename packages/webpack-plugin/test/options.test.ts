// Options as JavaScript callers pass them: checked with schema-utils in the
// constructor, as webpack's own plugins (terser-webpack-plugin) check theirs.
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
