// A test plugin whose hook counts its calls: how many ran at once, and how
// many ran in a slot of jobslot's (through the limiter, in a hold it holds).
import { currentHold } from '@jobslot/core';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A plugin whose `hook` counts how many of its calls run at once. */
export function counting(name: string, hook: 'transform' | 'renderChunk') {
  let inflight = 0;
  let peak = 0;
  let calls = 0;
  let inSlot = 0;
  const handler = async () => {
    calls++;
    if (currentHold() !== undefined) inSlot++; // called through the limiter, in a slot it holds
    inflight++;
    peak = Math.max(peak, inflight);
    await sleep(10);
    inflight--;
    return null;
  };
  const plugin = { name, [hook]: hook === 'transform' ? { filter: { id: /\/m\d+\.js$/ }, handler } : handler };
  return { plugin, handler, stats: () => ({ peak, calls, inSlot }) };
}
