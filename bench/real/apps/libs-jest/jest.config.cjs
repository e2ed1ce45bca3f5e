// A test suite written against real libraries' CommonJS builds (lodash,
// date-fns, rxjs with its TestScheduler), configured as jest users configure
// it: node environment, babel-jest's default transform, default workers.
// OUT: where the JSON results go (the recipe's --outputFile). JOBSLOT_OFF: the baseline, without withJobslot.
const { withJobslot } = require('@jobslot/jest');

const config = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.js'],
  // Beside eleven other builds, and as on 16 cores (15 workers on 2 real ones), jest's 5 s default is
  // a coin toss; the benchmark compares results, not timings.
  testTimeout: 120_000,
};

module.exports = process.env.JOBSLOT_OFF ? config : withJobslot(config);
