import { defineConfig } from 'vite';
import { jobslot } from '@jobslot/vite-plugin';

export default defineConfig({
  // JOBSLOT_OFF: the benchmark's baseline, the same build without jobslot.
  plugins: process.env.JOBSLOT_OFF ? [] : [jobslot()],
  build: { outDir: 'dist', emptyOutDir: true },
  logLevel: 'warn',
});
