// Preload (node --require) for the hand-pinned variant of bench/real-code.mjs:
// this process and its workers see BENCH_NODE_CPUS CPUs in os.cpus() and
// os.availableParallelism(), which is what every node tool sizes its worker
// pools by (terser-webpack-plugin, css-minimizer, @rollup/plugin-terser,
// thread-loader, vitest, jest). As test/support/cpus16.cjs, with its own
// variable so native code can still see the machine (or the simulated one).
'use strict';
const os = require('node:os');
const real = os.cpus();
const n = Number(process.env.BENCH_NODE_CPUS) || real.length;
os.cpus = () => Array.from({ length: n }, (_, i) => real[i % Math.max(1, real.length)]);
os.availableParallelism = () => n;
