// A jest reporter that @jobslot/jest adds to the config: it prints nothing.
// When the run starts, jest has decided how it runs the suites: in band (in
// its own process, on the process's own slot) or on min(suites, maxWorkers)
// workers. Slots beyond that go back to make at once; the rest when the run
// completes (before coverage is written and jest exits).
import { keepSlots } from './slots.js';

interface AggregatedResultLike {
  numTotalTestSuites: number;
}

export default class JobslotReporter {
  onRunStart(results: AggregatedResultLike, options: { showStatus?: boolean }): void {
    // jest passes showStatus = !runInBand.
    keepSlots(options.showStatus === false ? 1 : Math.max(1, results.numTotalTestSuites));
  }

  onRunComplete(): void {
    keepSlots(0);
  }

  getLastError(): undefined {
    return undefined;
  }
}
