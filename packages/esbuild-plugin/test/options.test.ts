// Options as JavaScript callers pass them: a TypeError naming the option and
// what it allows, when the plugin is made (p-limit's habit), never a plugin
// that silently does less or starts esbuild with GOMAXPROCS=NaN.
import { createLimiter, JobClient } from '@jobslot/core';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { jobslot } from '../src/index.js';

const make = (options: unknown) => () => jobslot(options as never);

describe('jobslot() options', () => {
  it('accepts no options and every documented option', () => {
    const client = JobClient.fromEnv({ env: {} });
    const limiter = createLimiter(client);
    try {
      expect(make(undefined)).not.toThrow();
      expect(make({ client, max: 3, limiter, plugins: [{ name: 'x', setup() {} }], esbuild })).not.toThrow();
    } finally {
      limiter.close();
      client.close();
    }
  });

  it.each([
    [{ max: 'abc' }, /option `max` must be a whole number of at least 1, got "abc"/],
    [{ max: 0 }, /option `max` must be a whole number of at least 1, got 0/],
    [{ max: -1 }, /option `max` must be a whole number of at least 1, got -1/],
    [{ max: 2.5 }, /option `max` must be a whole number of at least 1, got 2.5/],
    [{ limiter: 5 }, /option `limiter` must be a limiter from @jobslot\/core's createLimiter\(\) or sharedLimiter\(\), got 5/],
    [{ client: {} }, /option `client` must be a JobClient/],
    [{ plugins: {} }, /option `plugins` must be an array of esbuild plugins/],
    [{ esbuild: 'esbuild' }, /option `esbuild` must be the esbuild module/],
    [{ maxx: 2 }, /unknown option `maxx`; the options are `client`, `max`, `limiter`, `plugins`, `esbuild`/],
    [null, /the options must be an object, got null/],
  ])('%j is a TypeError naming the option', (options, message) => {
    expect(make(options)).toThrow(TypeError);
    expect(make(options)).toThrow(message);
  });
});
