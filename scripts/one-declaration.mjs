#!/usr/bin/env node
// One declaration of a dual package's API. tsup writes a .d.ts for the ESM
// build and a .d.cts for the CommonJS one, each declaring every class again:
// TypeScript then holds them for two unrelated types (a class with private
// members is nominal), and a limiter a `.cts` config gets from
// `require('@jobslot/core')` is "not assignable" to the one a plugin's ESM
// types import, though at run time either works (TS2322, TS2719 on TS 7).
// So each ESM entry's .d.ts becomes a re-export of its .d.cts (an ES module
// may import a CommonJS one, never the other way round), and the ESM
// declaration chunks go. Only for entries without a default export: ESM
// sees a CommonJS module's default as module.exports, not as its `default`.
//   node scripts/one-declaration.mjs DIST ENTRY...
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dist, ...entries] = process.argv.slice(2);
if (!dist || entries.length === 0) {
  console.error('usage: one-declaration.mjs DIST ENTRY...');
  process.exit(2);
}
for (const entry of entries) {
  const cts = join(dist, `${entry}.d.cts`);
  if (!existsSync(cts)) throw new Error(`${cts} missing: build first`);
  if (/export default|as default\b/.test(readFileSync(cts, 'utf8'))) throw new Error(`${cts} has a default export: it cannot be shared with ESM`);
  writeFileSync(
    join(dist, `${entry}.d.ts`),
    `// The CommonJS declarations, shared, so both module systems see one API (scripts/one-declaration.mjs).\nexport * from './${entry}.cjs';\n`,
  );
}
// The ESM build's declaration chunks (state-XXXX.d.ts beside state-XXXX.d.cts): nothing refers to them now.
for (const name of readdirSync(dist)) {
  const base = name.endsWith('.d.ts') ? name.slice(0, -'.d.ts'.length) : undefined;
  if (base && !entries.includes(base) && existsSync(join(dist, `${base}.d.cts`))) rmSync(join(dist, name));
}
