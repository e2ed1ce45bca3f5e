import { defineConfig } from 'tsup';
import { library } from '../../tsup.shared';

export default defineConfig({
  ...library,
  // import.meta.url in the CommonJS build (options.ts loads schema-utils with it, for bad options
  // only): without the shim it is undefined there, and a webpack.config.js that requires the plugin
  // got node's "The argument 'filename' must be a file URL" in place of schema-utils' message.
  shims: true,
});
