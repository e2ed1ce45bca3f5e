// dist/cli.cjs, the `jobslot` command (package.json "bin"): compiles the
// command's own files through V8's code cache (code-cache.ts), then runs
// main.ts (dist/cli-main.cjs). CommonJS, so node starts it without its ES
// module loader (about 5 ms of every `jobslot run`).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useCodeCache } from './code-cache.js';

const file = fileURLToPath(import.meta.url);
useCodeCache(dirname(file));
createRequire(file)('./cli-main.cjs');
