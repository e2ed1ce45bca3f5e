// The one warning the plugin gives: for `vite build` under make without
// `jobslot run`; never to a dev server, where the advice does not apply.
import { createLimiter, JobClient, THREAD_VARIABLES } from '@jobslot/core';
import { createJobserver } from '@jobslot/core/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jobslot } from '../src/index.js';
import { tempDir } from '@jobslot/e2e/support';
// @ts-expect-error plain JS fixture
import { writeApp } from '@jobslot/e2e/fixtures/vite-plugin/app.mjs';

vi.setConfig({ testTimeout: 60_000 });

let cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.reverse().forEach((f) => f());
  cleanup = [];
});

function connectedLimiter() {
  const server = createJobserver({ jobs: 2, style: 'fifo' });
  const client = JobClient.fromEnv({ env: { MAKEFLAGS: server.makeflags } });
  const limiter = createLimiter(client);
  cleanup.push(() => server.close(), () => client.close(), () => limiter.close());
  expect(client.connected, client.error?.message).toBe(true);
  return limiter;
}

function capturingLogger(vite: typeof import('vite')) {
  const warnings: string[] = [];
  const logger = vite.createLogger('silent');
  logger.warn = (m: string) => void warnings.push(m);
  logger.warnOnce = (m: string) => void warnings.push(m);
  return { logger, warnings };
}

describe('the native-threads warning', () => {
  for (const v of THREAD_VARIABLES) delete process.env[v];

  it('vite build under a jobserver without jobslot run: says to use `jobslot run -- vite build`', async () => {
    const vite = await import('vite');
    const { logger, warnings } = capturingLogger(vite);
    const root = writeApp(tempDir('jobslot-vite-warn-'), { modules: 1 }) as string;
    await vite.build({ root, configFile: false, customLogger: logger, build: { write: false }, plugins: [jobslot({ limiter: connectedLimiter() })] });
    expect(warnings.filter((w) => w.startsWith('jobslot:'))).toEqual([expect.stringContaining('jobslot run -- vite build')]);
  });

  it('a dev server is not told to run `vite build`: no warning at all', async () => {
    const vite = await import('vite');
    const { logger, warnings } = capturingLogger(vite);
    const root = writeApp(tempDir('jobslot-vite-warn-'), { modules: 1 }) as string;
    const server = await vite.createServer({ root, configFile: false, customLogger: logger, server: { middlewareMode: true, ws: false }, plugins: [jobslot({ limiter: connectedLimiter() })] });
    await server.close();
    expect(warnings.filter((w) => w.startsWith('jobslot:'))).toEqual([]);
  });
});
