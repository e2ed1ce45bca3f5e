// A real jobserver for one test, and a client and a limiter on it: what the
// plugin tests and the e2e tests set up, written once.
import { createLimiter, JobClient, type Limiter } from '@jobslot/core';
import { createJobserver, type Jobserver } from '@jobslot/core/server';

export interface TestJobserver {
  /** A fifo jobserver of `jobs` slots (jobs - 1 tokens), as make -jN serves it. */
  server: Jobserver;
  client: JobClient;
  limiter: Limiter;
  /** Closes the limiter, the client and then the server; says what the server got back. */
  close(): { returned: number; lost: number; extra: number };
}

export function testJobserver(jobs: number): TestJobserver {
  const server = createJobserver({ jobs, style: 'fifo' });
  const client = JobClient.fromEnv({ env: server.env({}) });
  const limiter = createLimiter(client);
  return {
    server,
    client,
    limiter,
    close() {
      limiter.close();
      client.close();
      return server.close();
    },
  };
}
