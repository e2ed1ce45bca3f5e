import { defineConfig } from 'vite';
import { jobslot } from '@jobslot/vite-plugin';

export default defineConfig({
  // JOBSLOT_OFF: the benchmark's baseline, the same build without jobslot.
  plugins: process.env.JOBSLOT_OFF ? [] : [jobslot()],
  // DIST: where to build (the demo builds several copies at once).
  build: { outDir: process.env.DIST ?? 'dist', emptyOutDir: true },
  logLevel: 'warn',
});
