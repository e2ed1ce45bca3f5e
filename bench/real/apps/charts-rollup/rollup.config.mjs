// A charting library on d3, date-fns and lodash-es, bundled as rollup users
// bundle: @rollup/plugin-node-resolve for the packages, four entry points as
// ES modules with shared chunks, @rollup/plugin-terser on the output (one
// worker per chunk at once, up to os.cpus()), source maps.
// OUT: where the output goes. JOBSLOT_OFF: the baseline, without the plugin.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { jobslot } from '@jobslot/vite-plugin/rollup';

export default {
  input: { line: 'src/line.js', bars: 'src/bars.js', geo: 'src/geo.js', timeline: 'src/timeline.js' },
  plugins: [...(process.env.JOBSLOT_OFF ? [] : [jobslot()]), nodeResolve()],
  output: {
    dir: process.env.OUT ?? 'dist',
    format: 'es',
    sourcemap: true,
    entryFileNames: '[name].[hash].js',
    chunkFileNames: 'chunks/[name].[hash].js',
    plugins: [terser()],
  },
};
