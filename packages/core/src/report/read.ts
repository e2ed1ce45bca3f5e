// Reading a JOBSLOT_TRACE file back: `jobslot report`, the tests, the benchmarks.
import { fs } from '../builtins.js';
import type { TraceEvent } from '../trace.js';

const { readFileSync } = fs;

/** Reads a trace file; lines that are not JSON (a torn last line) are skipped. */
export function readTrace(path: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as TraceEvent);
    } catch {
      // skip
    }
  }
  return events.sort((a, b) => a.t - b.t);
}
