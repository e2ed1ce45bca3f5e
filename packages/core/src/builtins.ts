// Node's built-in modules, through require() rather than `import`: in an ES
// module each `import ... from 'node:fs'` builds an ESM facade of the whole
// module, about 1 MB of RSS for fs, os and path together, and a process that
// loads jobslot without a jobserver should pay as close to nothing as it can.
// (The CommonJS build pays nothing either way.)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const fs = require('node:fs') as typeof import('node:fs');
export const os = require('node:os') as typeof import('node:os');
export const path = require('node:path') as typeof import('node:path');
export const workerThreads = () => require('node:worker_threads') as typeof import('node:worker_threads');
export const tty = () => require('node:tty') as typeof import('node:tty');
export const childProcess = () => require('node:child_process') as typeof import('node:child_process');
/** Only `jobslot serve`'s clients need sockets: `jobslot run` under make never loads net (and stream with it, ~1.5 ms of its start). */
export const net = () => require('node:net') as typeof import('node:net');
