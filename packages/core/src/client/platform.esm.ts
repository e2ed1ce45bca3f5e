// client/platform.ts for the ES module build (tsup.config.ts resolves it
// here), without a top-level await. An ES module graph with one is async:
// node refuses to require() it (ERR_REQUIRE_ASYNC_MODULE: a CommonJS tool
// loading an ES module config that imports a plugin), and node 22 and up
// crash (V8: "Check failed: (location_) != nullptr", SIGTRAP) when a worker
// thread whose modules are still being evaluated asynchronously is ended
// (process.exit, worker.terminate()). So this platform's folder, a file of
// its own in dist (`posix-platform.js`, `windows-platform.js`), is loaded
// with require(), synchronously: node 20.19 and up load an ES module so, as
// the same module instance an import gets. One platform, as in CommonJS.
import { createRequire } from 'node:module';
import type { Platform } from '../backend.js';

// (Not named `require`: the bundler would take the call for an import of its own to resolve.)
const load = createRequire(import.meta.url) as (id: string) => { platform: Platform };

export const platform: Platform = load(process.platform === 'win32' ? './windows-platform.js' : './posix-platform.js').platform;
