// Many processes fight over few tokens: take, release at once, HANDOFFS times.
// The jobserver counts what comes back. argv: mode handoffs
import { JobClient } from '@jobslot/core';
import * as naive from './lib/naive.mjs';

const [mode, n] = process.argv.slice(2);
const handoffs = Number(n);
if (mode === 'jobslot') {
  const client = JobClient.fromEnv();
  for (let i = 0; i < handoffs; i++) (await client.acquire()).release();
} else {
  const js = naive.openJobserver();
  const buf = Buffer.alloc(1);
  for (let i = 0; i < handoffs; i++) {
    buf[0] = await naive.ddAcquire(js);
    naive.koffiGive(js, buf);
  }
}
