// The /proc sampler lives in bench/lib (plain JS, shared with the benchmarks).
export { percentile, processTree, runnableThreads, startSampler } from '../../bench/lib/procstat.mjs';
