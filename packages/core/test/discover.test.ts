// Discovery apart from ownership: what the environment names, and the typed
// error with the variable it came from; and the process state's reset.
import { afterEach, describe, expect, it } from 'vitest';
import { JobClient } from '../src/client/client.js';
import { discoverJobserver } from '../src/client/discover.js';
import { processSlots } from '../src/client/implicit-slot.js';
import { createJobserver } from '../src/posix/server.js';
import { sharedClient, sharedLimiter } from '../src/pool/shared.js';
import { processRecord, resetProcessState } from '../src/state.js';

afterEach(() => resetProcessState());

describe('discoverJobserver', () => {
  it('returns the typed error with the variable that named the jobserver', () => {
    const negative = discoverJobserver({ CARGO_MAKEFLAGS: '-j --jobserver-auth=-2,-2' }, undefined);
    expect(negative).toMatchObject({ ok: false, warn: true, variable: 'CARGO_MAKEFLAGS' });
    expect(!negative.ok && negative.error).toMatchObject({ name: 'JobserverError', kind: 'negative-fd', variable: 'CARGO_MAKEFLAGS' });
    const none = discoverJobserver({}, undefined);
    expect(!none.ok && none.error).toMatchObject({ kind: 'no-jobserver', variable: undefined });
    // named, parsed, but not usable here: the error the backend raised, with the variable
    const client = JobClient.fromEnv({ env: { MFLAGS: '-j4 --jobserver-auth=some-semaphore' }, onWarning: () => {} });
    expect(client.error).toMatchObject({ kind: 'unsupported', variable: 'MFLAGS' });
  });

  it('finds a served jobserver, and owns nothing until a client takes it', () => {
    const server = createJobserver({ jobs: 2, style: 'fifo' });
    const found = discoverJobserver({ MAKEFLAGS: server.makeflags }, undefined);
    expect(found).toMatchObject({ ok: true, variable: 'MAKEFLAGS' });
    if (found.ok) found.backend.close();
    expect(server.close()).toMatchObject({ lost: 0 });
  });
});

describe('resetProcessState', () => {
  it('closes the shared client and limiter and starts the process state afresh', () => {
    const client = sharedClient();
    const limiter = sharedLimiter();
    processSlots().free = 0;
    processRecord('test', () => ({ n: 1 })).n = 2;
    resetProcessState();
    expect(sharedClient()).not.toBe(client);
    expect(sharedLimiter()).not.toBe(limiter);
    expect(processSlots().free).toBe(1);
    expect(processRecord('test', () => ({ n: 1 })).n).toBe(1);
  });
});
