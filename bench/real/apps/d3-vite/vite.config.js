// A React app as vite users configure it: @vitejs/plugin-react, and vite 8's
// own minifier (oxc; mui-vite has terser, the other common choice).
// OUT: where the output goes. JOBSLOT_OFF: the baseline, without the plugin.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { jobslot } from '@jobslot/vite-plugin';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), ...(process.env.JOBSLOT_OFF ? [] : [jobslot()])],
  build: { outDir: process.env.OUT ?? 'dist', emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 1024 },
  logLevel: 'warn',
});
