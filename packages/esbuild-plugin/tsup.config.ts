import { defineConfig } from 'tsup';
import { library } from '../../tsup.shared';

export default defineConfig({
  ...library,
  entry: { index: 'src/index.ts', testing: 'src/testing.ts' },
  // import.meta.url in the CJS build: the plugin resolves its esbuild peer from its own location.
  shims: true,
});
