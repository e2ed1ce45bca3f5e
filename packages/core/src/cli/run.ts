// `jobslot run [--max M] -- CMD ...`: CMD gets a jobserver of its own, carved
// out of the one above (make's, or another jobslot's): a sub-pool.
//
// - CMD runs on our job slot (the implicit one make gave this recipe) plus the
//   tokens we take from the outer pool and put into the sub-pool. Anything
//   beneath CMD that speaks the jobserver protocol (make 4.3 and 4.4, cargo,
//   gcc -flto=jobserver, ninja, jobslot's own clients) takes them from there,
//   so nothing beneath goes over the outer limit.
// - The sub-pool is handed down as make 4.3 does (`--jobserver-auth=R,W`),
//   or by path as make 4.4 does (`--jobserver-auth=fifo:PATH`) to ninja 1.13
//   and beneath a fifo-style jobserver: style.ts chooses. JOBSLOT_POOL names
//   the path too, for jobslot clients whose descriptors node closed (npm
//   run). See server.ts and pool.ts.
// - It starts with the tokens free now (up to --max), grows while CMD's
//   clients empty it, and gives tokens that sit unused back to the outer pool,
//   but never those it started with.
// - Native pools read their size once, at start: the variables of
//   threads.ts (GOMAXPROCS, RAYON_NUM_THREADS, TOKIO_WORKER_THREADS, ...) and
//   V8's --v8-pool-size (less node's main thread: v8-pool-size.ts) are set to
//   the slots held when CMD starts, and so are task runners' (task-runners.ts:
//   turbo, Nx, pnpm -r, moon, ...). Those threads take no token from the
//   sub-pool (Go and rayon know nothing of jobservers), so the tokens they
//   were sized to look unused while they run: they stay held until CMD ends,
//   or its threads would run on tokens make has given to other jobs.
// - When CMD ends, every token we took goes back, whatever CMD returned. If
//   it died of a signal, the jobs it started may run on, orphaned: their
//   tokens go back one by one as they end (orphans.ts).
//
// Without a usable jobserver above (outside make, `make -j` with no number),
// CMD gets a jobserver of its own: --max slots, else one per CPU, and one line
// says so.
import { availableParallelism } from 'node:os';
import { JobClient, type Token } from '../client/client.js';
import { ownSlot } from './own-slot.js';
import type { Jobserver } from '../posix/server.js';
import { trace } from '../trace.js';
import { aloneSlots } from './alone.js';
import { exitLike, runChild, type ChildExit } from './child.js';
import { commandEnv } from './command-env.js';
import { runInThisProcess, v8FitsHere, v8PoolOfThisProcess } from './in-process.js';
import { nativeWork } from './native-program.js';
import { directNode, nodeScript, runsHere, type NodeEntry, type NodeScript } from './node-command.js';
import { demandProbe } from './demand.js';
import { refusalsWriter } from '../posix/refusals.js';
import { daemonShare, daemonSlot, joinDaemon, namesDaemon } from './join-daemon.js';
import { adoptOrphans, runningOrphans } from './orphans.js';
import { tracePool } from './pool-trace.js';
import { serveCommand, startJobserver } from './serving.js';
import { chooseStyle, type StyleChoice } from './style.js';
import { describeCommand, reportReturns } from './words.js';

/** How often the sub-pool is looked at while it changes, or while a token we could give back sits in it (timing its idleness). */
const TICK_MS = 20;
/**
 * How often it is looked at while it is steady: what it holds unchanged since
 * the last look, and nothing in it we could give back. Each look wakes this
 * process, and on a loaded machine each wake waits in the run queue (counted
 * as runnable); the demand probe and the refusals run no more often than
 * this anyway (PROBE_MS).
 */
const STEADY_MS = 100;
/** A token unused in the sub-pool this long goes back to the outer pool. */
const IDLE_MS = 200;
/** CMD's start-up: tokens it has not taken yet are not idle. */
const STARTUP_MS = 1000;
/** After giving back a token nobody took, wait this long (doubling, up to 16x) before growing again (where /proc cannot tell who waits). */
const BACKOFF_MS = 200;
/** How often /proc is looked at for a process waiting on the empty sub-pool (about 1 ms of CPU a look). */
const PROBE_MS = 100;

export interface RunOptions {
  max?: number;
  /** How the sub-pool is named in MAKEFLAGS; 'auto' (the default) looks at the command and the jobserver above (style.ts). */
  style?: StyleChoice;
  /** Start CMD in a process of its own even where it is a node script this node could run here (in-process.ts). */
  spawn?: boolean;
}

export async function runUnder(command: string[], options: RunOptions): Promise<never> {
  // Windows: a semaphore sub-pool, as make for Windows serves (run-windows.ts).
  // Loaded only there: a POSIX jobslot run loads no Windows code.
  if (process.platform === 'win32') return (await import('./run-windows.js')).runOnSemaphore(command, options);
  const warnings: string[] = [];
  let client = JobClient.fromEnv({ onWarning: (m) => warnings.push(m) });
  // Outside make, the user's `jobslot serve` (if one runs) is the pool above.
  const joined = client.connected ? undefined : await joinDaemon((m) => warnings.push(m));
  if (joined) client = joined;
  if (!client.connected) return runAlone(command, options, client, warnings);

  // Our own job slot for CMD: make's implicit one, unless a sibling beneath
  // the same pool owns it; then wait for a token (or for the implicit slot to
  // come free), as make would before starting a job. The daemon gives no
  // implicit slot: there it is a token, and this build keeps at most its fair
  // share of the daemon's slots while other builds run (join-daemon.ts).
  const viaDaemon = joined !== undefined || namesDaemon(process.env);
  const share = viaDaemon ? await daemonShare(!joined) : undefined;
  const own = viaDaemon ? await daemonSlot(client) : await ownSlot(client);
  const most = Math.max(1, options.max ?? client.jobs ?? availableParallelism());
  const max = Math.min(most, share?.current ?? most);
  const extra: Token[] = [];
  while (1 + extra.length < max) {
    const token = client.tryAcquire();
    if (!token) break;
    extra.push(token);
  }
  // (If it cannot start, the process ends, and the client's exit hook gives back what we took.)
  const style = chooseStyle(options.style ?? 'auto', command, client.style);
  // A node script this node would run runs here, in this process (in-process.ts): no second node to start,
  // unless this process's V8 helper threads (sized when it started) outnumber what a node of its own would get.
  // A node wrapper that only runs a native program (tsc 7) is skipped: the program runs in its place;
  // rspack, rsbuild and rolldown run here whatever the pool: their work is in native threads (native-program.ts).
  const script = nodeScriptOf(command, options);
  const native = script && nativeWork(script);
  const program = native?.program;
  const fits = native?.anyV8Pool || v8FitsHere(v8PoolOfThisProcess(availableParallelism()), 1 + extra.length);
  const entry = program || !fits || !script ? undefined : inThisProcess(script);
  const pool = startJobserver({ jobs: most, tokens: 0, style, baseMakeflags: process.env.MAKEFLAGS, commandHere: entry !== undefined });
  for (const token of extra) pool.add(token.byte);
  const bounds = { max, floor: extra.length };
  const startFloor = extra.length;
  share?.onChange((k) => {
    bounds.max = Math.min(most, k);
    bounds.floor = Math.min(startFloor, bounds.max - 1);
  });
  const env = commandEnv(pool, 1 + extra.length);
  const adopting = entry ? false : adoptOrphans();
  // (In a process of its own only: in this one, CMD is its script.)
  const started = entry ? undefined : startedAs(command, script, program, env);
  const child = started && runChild(started.command, { env: started.env, argv0: started.argv0, extraFds: pool.stdio });
  // CMD is started: what only looks after its pool (the grower, the trace) starts now, off its way.
  const traced = tracePool(pool, { held: () => 1 + extra.length, driven: true });
  const grower = growAndShrink(client, pool, extra, bounds, traced.look, { commandHere: entry !== undefined });
  // After CMD: everything we took goes back, also what CMD lost (it was ours to return).
  const giveBack = () => {
    traced.stop();
    grower.close();
    const given = pool.tokens;
    const counts = pool.close();
    for (const token of extra) token.release();
    own.release();
    trace('hold', { held: 0 });
    client.close();
    reportReturns(counts, given, command);
  };
  if (entry) {
    return runInThisProcess(entry, env, () => {
      grower.stop();
      giveBack();
    });
  }
  const result = await child!;
  grower.stop();
  // The sub-pool stays open (and traced) while jobs CMD left running hold its tokens.
  if (adopting && killed(result)) await outliveOrphans(command, extra, traced.look);
  giveBack();
  return exitLike(result);
}

/** CMD as the node script this node would run (node-command.ts), or undefined where it is not one or `--spawn` says to start CMD as it is. */
function nodeScriptOf(command: string[], options: RunOptions): NodeScript | undefined {
  if (options.spawn) return undefined;
  const script = nodeScript(command, process.env);
  return 'why' in script ? undefined : script;
}

/**
 * What starts CMD in a process of its own: the native program in its
 * wrapper's place (native-program.ts); a node script with this node directly,
 * not through its shim or shebang (directNode); else CMD as given.
 */
function startedAs(command: string[], script: NodeScript | undefined, program: string[] | undefined, env: NodeJS.ProcessEnv): { command: string[]; env: NodeJS.ProcessEnv; argv0?: string } {
  if (program) return { command: program, env };
  return script ? directNode(script, env) : { command, env };
}

/** The script as an entry to run in this process, or undefined to spawn it. */
function inThisProcess(script: NodeScript): NodeEntry | undefined {
  const entry = runsHere(script);
  return 'why' in entry ? undefined : entry;
}

/** CMD died of a signal, or is a shell saying its command did (128 + n): its jobs may live on. */
function killed(result: ChildExit): boolean {
  return result.signal !== null || (result.code !== null && result.code > 128);
}

/**
 * The jobs CMD started run on without it: each still uses a slot, so each
 * keeps one of our tokens (the first our own slot) until it ends. The
 * sub-pool stays open meanwhile for those that speak the protocol.
 */
async function outliveOrphans(command: string[], extra: Token[], look: () => void): Promise<void> {
  let said = false;
  for (;;) {
    const running = runningOrphans().length;
    while (extra.length > Math.max(0, running - 1)) extra.pop()!.release();
    look();
    if (running === 0) return;
    if (!said) {
      said = true;
      process.stderr.write(`jobslot run: ${describeCommand(command)} ended, and ${running} job${running === 1 ? '' : 's'} it started still run${running === 1 ? 's' : ''}: waiting for ${running === 1 ? 'it' : 'them'}, their slots still taken\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}


/** No jobserver above: serve one of our own, as `jobslot -j` would. */
async function runAlone(command: string[], options: RunOptions, client: JobClient, warnings: string[]): Promise<never> {
  const { jobs, why, line } = aloneSlots(command, client, options.max, warnings);
  const pool = startJobserver({ jobs, style: chooseStyle(options.style ?? 'auto', command, undefined), baseMakeflags: process.env.MAKEFLAGS }, why);
  process.stderr.write(line);
  trace('server', { jobs, message: pool.style });
  const script = nodeScriptOf(command, options);
  const started = startedAs(command, script, script && nativeWork(script).program, commandEnv(pool, jobs));
  return serveCommand(started.command, pool, started.env, tracePool(pool), started.argv0);
}

/**
 * Keeps the sub-pool sized to what CMD uses. When the pool is empty and
 * something beneath waits on it (demand.ts looks in /proc), we wait for one
 * more outer token (up to max - 1 in all) and put it in; once nothing waits,
 * we stop waiting; a waiter we cannot serve (we already wait above, or hold
 * max) is told so (posix/refusals.ts). Where /proc cannot tell, an empty pool is the sign of
 * demand, and growth pauses a while after a token went back unused. A token
 * left unused in the pool for IDLE_MS goes back to the outer pool. The first
 * `floor` tokens, which CMD's native pools were sized to, never go back
 * before CMD ends. `bounds` may change while CMD runs (jobslot serve's fair
 * share): tokens above a lower max go back as they come free.
 *
 * Why this is not a child of core's Pool (pool/pool.ts), though the rule is
 * the same (borrow one at a time while someone waits, give back above the
 * floor when nobody does): a Pool's rule runs on events it sees, a job
 * queued, a slot released, and it gives back at once. Here the slots are
 * bytes in a pipe that other processes (make, cargo, ninja, gcc) read and
 * write: nothing tells us that one was taken or came back, so "in use" is
 * only `pool.free()` sampled (every TICK_MS while it changes or a token
 * above the floor sits in it, else every STEADY_MS), and "someone waits" is /proc
 * sampled every PROBE_MS (or, without /proc, an empty pipe, with backoff).
 * Giving back at once would also be wrong here: make writes a finished
 * job's token back and reads it again for its next job, so a byte seen in
 * the pipe is not yet idle (IDLE_MS), and CMD's first jobs have not read
 * theirs yet (STARTUP_MS). A Pool whose waiters were the probe's processes
 * would hold all of that timing outside it and keep only the two lines of
 * the rule, with a fake job per waiting process: more code, not less.
 */
function growAndShrink(
  client: JobClient,
  pool: Jobserver,
  extra: Token[],
  bounds: { max: number; floor: number },
  onLook: () => void,
  { commandHere }: { commandHere: boolean },
): { stop(): void; close(): void } {
  const started = Date.now();
  let wait: AbortController | undefined;
  let idleSince: number | undefined;
  let backoff = 0;
  let pausedUntil = 0;
  let added = false;
  const waiting = demandProbe(pool.path, { self: commandHere });
  // Says "nothing for you now" to a waiter we cannot serve (posix/refusals.ts).
  const refusals = waiting ? refusalsWriter(pool.path) : undefined;
  let probedAt = 0;
  let demand = false;
  // A look PROBE_MS after the last one is due, also when the timer (STEADY_MS) fires a little early by the clock.
  const due = (now: number) => now - probedAt >= PROBE_MS - TICK_MS / 2;
  let seenFree = -1;
  let lastFree = -1;
  let lastHeld = extra.length;
  const tick = () => {
    const now = Date.now();
    while (extra.length > bounds.max - 1 && pool.remove()) extra.pop()!.release();
    const free = (seenFree = pool.free());
    if (free === 0) {
      idleSince = undefined;
      // The token we put in last was taken: demand is real, grow freely again.
      if (added) {
        backoff = 0;
        // Its taker was served: look again (next probe) before taking one more for it.
        demand = false;
        probedAt = now;
      }
      added = false;
      if (extra.length >= bounds.max - 1 || !client.connected) {
        // Holding -jN (or nothing above any more): whoever waits beneath gets nothing more from
        // us now. Say so (a byte a PROBE_MS) without looking who waits: looking costs CPU.
        if (refusals && due(now)) {
          probedAt = now;
          refusals.refuse();
        }
        return;
      }
      if (waiting && due(now)) {
        probedAt = now;
        demand = waiting();
        // Whoever waited was served (a token came back beneath, or it gave up): stop asking above.
        if (!demand && wait) {
          wait.abort();
          wait = undefined;
        }
        // Someone waits, and we already wait above (none was free there): nothing for them now.
        if (demand && wait) refusals?.refuse();
      }
      if (waiting && !demand) return;
      if (!wait && (waiting || now >= pausedUntil)) {
        const controller = new AbortController();
        wait = controller;
        client.acquire({ signal: controller.signal }).then(
          (token) => {
            if (wait === controller) wait = undefined;
            if (!token) return;
            if (controller.signal.aborted) return token.release();
            extra.push(token);
            pool.add(token.byte);
            added = true;
          },
          () => {
            if (wait === controller) wait = undefined;
          },
        );
      }
      return;
    }
    // Tokens are waiting in the pool: whoever wanted one has it.
    demand = false;
    wait?.abort();
    wait = undefined;
    idleSince ??= now;
    if (now - started < STARTUP_MS || now - idleSince < IDLE_MS) return;
    let gave = false;
    while (extra.length > bounds.floor && pool.remove()) {
      extra.pop()!.release();
      gave = true;
    }
    if (gave) {
      backoff = Math.min(backoff ? backoff * 2 : BACKOFF_MS, BACKOFF_MS * 16);
      pausedUntil = now + backoff;
    }
    idleSince = undefined;
  };
  // Every TICK_MS while the pool changes or holds a token we may give back
  // (a token make reuses between jobs must be seen in use: not idle); every
  // STEADY_MS otherwise.
  let timer: NodeJS.Timeout;
  const schedule = () => {
    tick();
    // The trace looks when we look (pool-trace.ts, driven): no wakes of its own.
    onLook();
    // (A tick that gave tokens back or put one in changed extra: not steady.)
    const steady = seenFree === lastFree && extra.length === lastHeld && !(seenFree > 0 && extra.length > bounds.floor);
    lastFree = seenFree;
    lastHeld = extra.length;
    timer = setTimeout(schedule, steady ? STEADY_MS : TICK_MS);
    // CMD in this process: its own work keeps the process alive, ours must not.
    if (commandHere) timer.unref();
  };
  timer = setTimeout(schedule, TICK_MS);
  if (commandHere) timer.unref();
  return {
    stop() {
      clearTimeout(timer);
      wait?.abort();
      wait = undefined;
    },
    // As the pool closes: what we made in its directory goes first, so it is empty for
    // its rmdir (else the pool's close takes rmSync's slower recursive path, every time).
    close() {
      refusals?.remove();
    },
  };
}
