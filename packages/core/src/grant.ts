// Slots a parent `jobslot run` already holds for this process tree.
//
// `jobslot run` takes tokens, then starts its command with
// JOBSLOT_GRANT=<count>:<its pid>:<claim file>. The first jobslot client below it to
// rename the claim file owns the grant and uses those slots instead of taking
// more; any later one (a second node process under the same shell) finds the
// file gone and gets none. A rename is atomic, so two claimants never both win.
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GRANT_VARIABLE = 'JOBSLOT_GRANT';

/** Claims the grant named in `env`, if any is left. Returns the slots granted (0 if none). */
export function claimGrant(env: Record<string, string | undefined>): { claimed: boolean; count: number; from: number } {
  const none = { claimed: false, count: 0, from: 0 };
  const value = env[GRANT_VARIABLE];
  if (!value) return none;
  const match = /^(\d+):(\d+):(.+)$/.exec(value);
  if (!match) return none;
  const count = Number(match[1]);
  const from = Number(match[2]);
  const file = match[3]!;
  try {
    renameSync(file, `${file}.claimed-${process.pid}`);
    return { claimed: true, count, from };
  } catch {
    return none;
  }
}

/** Creates a grant of `count` slots; returns the env value and a cleanup. */
export function createGrant(count: number): { value: string; cleanup(): void } {
  const base = `jobslot-grant-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const file = join(tmpdir(), base);
  writeFileSync(file, String(count));
  return {
    value: `${count}:${process.pid}:${file}`,
    cleanup() {
      // A claim renamed it to `<file>.claimed-<pid>`: remove whichever is there.
      for (const name of readdirSync(tmpdir())) {
        if (name === base || name.startsWith(`${base}.claimed-`)) rmSync(join(tmpdir(), name), { force: true });
      }
    },
  };
}
