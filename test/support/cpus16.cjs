// Preload (node --require): this process and its workers see a 16-core
// machine, so the tools size their pools as they would there.
'use strict';
const os = require('node:os');
const real = os.cpus();
const CORES = Number(process.env.FAKE_CORES || 16);
os.cpus = () => Array.from({ length: CORES }, (_, i) => real[i % Math.max(1, real.length)]);
os.availableParallelism = () => CORES;
