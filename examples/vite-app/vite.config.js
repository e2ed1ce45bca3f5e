import { defineConfig } from 'vite';
import { jobslot } from '@jobslot/vite-plugin';

export default defineConfig({
  plugins: [jobslot()],
  build: { outDir: 'dist', emptyOutDir: true },
  logLevel: 'warn',
});
