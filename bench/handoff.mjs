// One side of a token ping-pong: wait for the token, hold it a moment, give it
// back, stay away a moment; ROUNDS times. Each release happens while the
// other side waits, so the gap between them is the wake-up latency. Prints one JSON line of hrtime stamps (CLOCK_MONOTONIC,
// the same clock in every process): when each wait ended, when each release
// happened. argv: mode rounds [hold ms]
import { JobClient } from '@jobslot/core';
import * as naive from './lib/naive.mjs';

const [mode, roundsArg, holdArg = '3'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const hold = Number(holdArg);
const now = () => Number(process.hrtime.bigint()) / 1e3; // µs
const acquired = [];
const released = [];
const buf = Buffer.alloc(1);

let acquire;
let give;
if (mode === 'jobslot' || mode === 'jobslot-poll') {
  const client = JobClient.fromEnv({ waitMode: mode === 'jobslot-poll' ? 'poll' : undefined });
  if (!client.connected) throw new Error(client.error?.message);
  acquire = () => client.acquire();
  give = (token) => token.release();
} else {
  const js = naive.openJobserver();
  const wait = { 'koffi-async': naive.koffiAsyncAcquire, timer: naive.timerAcquire, dd: naive.ddAcquire }[mode];
  acquire = async () => ((buf[0] = await wait(js, buf)), buf[0]);
  give = () => naive.koffiGive(js, buf);
}

for (let i = 0; i < rounds; i++) {
  const token = await acquire();
  acquired.push(now());
  // Hold it long enough that the other side is surely waiting when it comes back...
  await new Promise((r) => setTimeout(r, hold));
  released.push(now());
  give(token);
  // ...then stay away a little (less than the hold), so the other side takes
  // it and we are waiting again well before it comes back.
  await new Promise((r) => setTimeout(r, 1));
}
process.stdout.write(JSON.stringify({ pid: process.pid, acquired, released }) + '\n');
