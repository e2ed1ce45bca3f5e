// Taking turns with a token. A limiter with jobs queued used to hand a
// finished job's token straight to its next job, never writing it back: make,
// cargo and gcc write every token back when a job ends and read again for the
// next, so each token they lost to us was lost for good, and ours only grew.
// Measured (bench/fairness.mjs --only jobslot,make, make -j6, 15 s): jobslot
// 75-78 % of the token-seconds, make 22-25 %, below half its fair share.
//
// So a token held RECONTEST_MS or longer goes back to the jobserver at the
// next job's end, even with jobs queued, and the limiter takes no token until
// its event loop has turned once: about as long as a reader the write woke
// (make in pselect, cargo's helper thread in read) takes to read it, so each
// side keeps or loses a token at a job's end as make does against another
// make. (Waiting a whole millisecond overshot: make, which reads again at
// once, then took 75 % of the token-seconds.) If nobody takes it, the
// limiter takes it back. The price, with nobody else waiting: one write, one
// read and one loop turn per RECONTEST_MS a token is held; jobs shorter than
// that keep their token across jobs as before, so esbuild's and webpack's
// many small jobs pay nothing more.
import type { Token } from './types.js';

/** A token held this long goes back at the next job's end. */
export const RECONTEST_MS = 100;

export class TokenTurns {
  private readonly since = new Map<Token, number>();

  took(token: Token): void {
    this.since.set(token, performance.now());
  }

  gave(token: Token): void {
    this.since.delete(token);
  }

  /** The token among `held` whose turn is over, if any. */
  due(held: readonly Token[]): Token | undefined {
    const now = performance.now();
    return held.find((token) => now - (this.since.get(token) ?? now) >= RECONTEST_MS);
  }
}
