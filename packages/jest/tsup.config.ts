import { defineConfig } from 'tsup';
import { library } from '../../tsup.shared';

export default defineConfig({
  ...library,
  // The config helper, and the reporter it adds to jest's config (jest loads reporters by path).
  entry: { index: 'src/index.ts', reporter: 'src/reporter.ts' },
  // import.meta.url in the CJS build: the helper finds the reporter next to itself.
  shims: true,
});
