// withJobslot(): jest's config, with `maxWorkers` sized to the slots this
// process can take from make's jobserver when jest loads its config.
//
// Why at config time: jest reads `maxWorkers` once, from the config, and
// freezes it; nothing later in the run (reporters, setup files) can change
// it, and jest reads no environment variable for it, so `jobslot run` cannot
// size it from outside. jest accepts a config that is an (async) function,
// which is where the slots are taken: without waiting (jest's own process
// has make's implicit slot, so there is always one), up to your `maxWorkers`
// or the cores. The reporter added here gives back what the run does not
// use once jest has planned it, and everything when it completes.
import { fileURLToPath } from 'node:url';
import { sharedLimiter, type Limiter } from '@jobslot/core';
import { isLimiter, optionCheck, type OptionCheck } from '@jobslot/core/plugin';
import { takeSlots } from './slots.js';
import { jestCeiling, workersFlag } from './workers.js';

/** The parts of a jest config that withJobslot reads or sets; the rest passes through. */
export interface JestConfigLike {
  /** Yours, if set, is the most workers jest gets (a number, or a percentage of the cores such as `'50%'`). */
  maxWorkers?: number | string;
  /** Yours are kept (jest's `'default'` if you set none); jobslot's reporter, which prints nothing, is added. */
  reporters?: unknown[];
}

/** Options of {@link withJobslot}. */
export interface JobslotJestOptions {
  /**
   * The limiter the slots come from.
   * @default sharedLimiter() from @jobslot/core: one per process, over the jobserver in MAKEFLAGS
   */
  limiter?: Limiter;
}

const check: OptionCheck = optionCheck('@jobslot/jest', ['limiter']);

/** The reporter, by path (jest loads reporters by path), in CommonJS, which every jest config can load. */
const REPORTER = fileURLToPath(new URL('./reporter.cjs', import.meta.url));

/**
 * Wraps a jest config (an object, or a function returning one, async or not)
 * so that under a make jobserver jest's test workers follow the job tokens:
 * `maxWorkers` becomes the slots taken when jest loads the config (1 + the
 * tokens free then, up to your `maxWorkers`, else one per core: alone, jest
 * keeps a core back for its own process, which under make shares the slots
 * its workers hold). Without a jobserver, in watch
 * mode, or when the command line sets the workers (`--maxWorkers`,
 * `--runInBand`), the config is returned as it is.
 */
export function withJobslot<T extends JestConfigLike>(config: T | (() => T | Promise<T>), options: JobslotJestOptions = {}): () => Promise<T> {
  if (typeof config !== 'function' && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw new TypeError('@jobslot/jest: withJobslot(config) takes your jest config: an object, or a function that returns one');
  }
  const given = options.limiter;
  check.object(options as unknown);
  if (given !== undefined && !isLimiter(given)) {
    throw check.invalid('limiter', "a limiter from @jobslot/core's createLimiter() or sharedLimiter()", given);
  }
  return async () => {
    const user = typeof config === 'function' ? await config() : config;
    if (typeof user !== 'object' || user === null || Array.isArray(user)) {
      throw new TypeError(`@jobslot/jest: the function given to withJobslot() must return your jest config (an object), not ${user === null ? 'null' : Array.isArray(user) ? 'an array' : typeof user}`);
    }
    if (workersFlag(process.argv.slice(2))) return user;
    // Not an array: jest refuses the config with its own message; adding to it would change that message.
    if (user.reporters !== undefined && !Array.isArray(user.reporters)) return user;
    const limiter = given ?? sharedLimiter();
    if (!limiter.limited) return user; // no jobserver: jest sizes itself, as without jobslot
    const slots = takeSlots(limiter, jestCeiling(user.maxWorkers));
    // No slot at all: a sibling beneath the same `jobslot run` has the process's own; one worker, as make would run one job.
    return { ...user, maxWorkers: Math.max(1, slots), reporters: [...(user.reporters ?? ['default']), REPORTER] };
  };
}
