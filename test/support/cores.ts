// A simulated 16-core machine for a test's control run: node's os.cpus()
// through cpus16.cjs, native code (Rust's available_parallelism, num_cpus,
// libuv, glibc's get_nprocs) through the cores.c LD_PRELOAD shim, and Go
// through GOMAXPROCS (Go asks the kernel directly, not glibc). Without it,
// a tool on this 2-core machine may stay within -j2 with or without jobslot,
// and the test would prove nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './make.js';

const OUT = join(ROOT, 'node_modules/.cache/jobslot-test');

/** Builds the shim once (gcc) and returns its path. */
export function coresShim(): string {
  const so = join(OUT, 'cores.so');
  if (!existsSync(so)) {
    mkdirSync(OUT, { recursive: true });
    const tmp = `${so}.${process.pid}`;
    execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', tmp, join(ROOT, 'test/support/cores.c')]);
    execFileSync('mv', ['-f', tmp, so]);
  }
  return so;
}

/**
 * Environment variables that make every process beneath see `cores` CPUs.
 * Merge into a command's env; NODE_OPTIONS is replaced, so add your own
 * --require after it if needed.
 */
export function simulatedCores(cores = 16): Record<string, string> {
  return {
    LD_PRELOAD: coresShim(),
    FAKE_CORES: String(cores),
    NODE_OPTIONS: `--require ${join(ROOT, 'test/support/cpus16.cjs')}`,
    GOMAXPROCS: String(cores),
  };
}
