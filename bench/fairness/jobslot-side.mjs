// The jobslot side of the fairness benchmark: a build tool that is a jobslot
// client and wants more than its share until DEADLINE (epoch seconds): UNITS
// units of MS ms always queued on a limiter, each logged "start|end <id>
// <seconds>" to LOG.
//   node jobslot-side.mjs LOG UNITS MS DEADLINE
import { appendFileSync } from 'node:fs';
import { createLimiter, JobClient } from '@jobslot/core';

const [log, units, ms, deadline] = process.argv.slice(2);
const now = () => (performance.timeOrigin + performance.now()) / 1000;
const client = JobClient.fromEnv();
const limiter = createLimiter(client);
let n = 0;
await Promise.all(
  Array.from({ length: Number(units) }, async () => {
    while (now() < Number(deadline)) {
      await limiter.run(async () => {
        const id = `u${n++}`;
        appendFileSync(log, `start ${id} ${now()}\n`);
        // Sleep-shaped work: the benchmark measures how tokens are shared, not the CPU.
        await new Promise((r) => setTimeout(r, Number(ms)));
        appendFileSync(log, `end ${id} ${now()}\n`);
      });
    }
  }),
);
limiter.close();
client.close();
