// The slot `jobslot run`'s command runs on, on either platform.
import type { JobClient } from '../client/client.js';
import { reclaimImplicitSlot } from '../client/implicit-slot.js';

/** The slot CMD itself runs on: the implicit one, or a token while a sibling has that. */
export async function ownSlot(client: JobClient): Promise<{ release(): void }> {
  const implicit = { release() {} };
  for (;;) {
    if (client.implicitSlot || reclaimImplicitSlot()) return implicit;
    const token = await client.acquire({ timeout: 1000 });
    if (token) return token;
    if (!client.connected) return implicit;
  }
}
