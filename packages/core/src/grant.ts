// Slots a parent `jobslot run` holds for the process tree below it.
//
// `jobslot run` takes tokens, then starts its command with
// JOBSLOT_GRANT=<count>:<its pid>:<claim file>. The grant stands for the
// command's one job slot (the implicit slot make gave the recipe) plus
// <count> tokens. The first jobslot client below to rename the claim file owns
// it: it has the implicit slot and uses the granted ones instead of taking
// more. Any other client that sees the same grant (a second task under turbo
// or a shell running two builds) is a sibling: it has no implicit slot and
// must hold a token for every job it runs, as make would make it wait. A rename
// is atomic, so two claimants never both win; the owner renames the file back
// when it exits, so a later sibling can take over.
import { fs, os, path } from './builtins.js';

const { readdirSync, renameSync, rmSync, writeFileSync } = fs;
const { tmpdir } = os;
const { join } = path;

export const GRANT_VARIABLE = 'JOBSLOT_GRANT';

export interface GrantClaim {
  /** JOBSLOT_GRANT named a grant for this process tree. */
  present: boolean;
  /** This process owns it. */
  claimed: boolean;
  /** Slots granted beyond the implicit one (when claimed). */
  count: number;
  /** The pid of the `jobslot run` that made it. */
  from: number;
}

const KEY = Symbol.for('jobslot.grant-claims');

/**
 * Claims the grant named in `env`, once per process: every client in this
 * process (and every copy of this package) sees the same answer.
 */
export function claimGrant(env: Record<string, string | undefined>): GrantClaim {
  const value = env[GRANT_VARIABLE];
  const match = value ? /^(\d+):(\d+):(.+)$/.exec(value) : null;
  if (!value || !match) return { present: false, claimed: false, count: 0, from: 0 };
  const g = globalThis as Record<symbol, Map<string, GrantClaim> | undefined>;
  const claims = (g[KEY] ??= new Map());
  const known = claims.get(value);
  if (known) return known;
  const count = Number(match[1]);
  const from = Number(match[2]);
  const file = match[3]!;
  const claimedFile = `${file}.claimed-${process.pid}`;
  let claim: GrantClaim;
  try {
    renameSync(file, claimedFile);
    claim = { present: true, claimed: true, count, from };
    // Only on a real exit: a handled signal may leave us running, still using it.
    process.once('exit', () => {
      try {
        renameSync(claimedFile, file);
      } catch {
        // jobslot run already cleaned up
      }
    });
  } catch {
    claim = { present: true, claimed: false, count: 0, from };
  }
  claims.set(value, claim);
  return claim;
}

/** Creates a grant of `count` slots beyond the implicit one; returns the env value and a cleanup. */
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
