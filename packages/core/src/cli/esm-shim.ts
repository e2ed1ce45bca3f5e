// dist/cli.js, the path the `jobslot` command had while it was an ES module:
// kept for scripts and Makefiles that run it by path. The command itself is
// dist/cli.cjs (package.json "bin"), which node starts without its ES module
// loader; through this file a run pays that loader again (about 5 ms).
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./cli.cjs');
