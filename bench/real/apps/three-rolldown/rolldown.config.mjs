// A 3D product configurator on three.js (and its addons) with rxjs for the UI
// state, bundled as rolldown users bundle: three entry points as ES modules with
// shared chunks, rolldown's native minifier, source maps.
// OUT: where the output goes. JOBSLOT_OFF: the baseline, without the plugin.
import { defineConfig } from 'rolldown';
import { jobslot } from '@jobslot/vite-plugin/rollup';

export default defineConfig({
  input: { configurator: 'src/configurator.js', gallery: 'src/gallery.js', editor: 'src/editor.js' },
  plugins: process.env.JOBSLOT_OFF ? [] : [jobslot()],
  output: {
    dir: process.env.OUT ?? 'dist',
    format: 'es',
    minify: true,
    sourcemap: true,
    entryFileNames: '[name].[hash].js',
    chunkFileNames: 'chunks/[name].[hash].js',
  },
});
