#!/usr/bin/env node
// The import graph of each package's src/, type-only imports included, as the
// brief's layering rule reads them ("no arrow back up, type imports
// included"). Prints each package's files floor by floor (a file stands above
// everything it imports) and every import circle; exits 1 if there is one.
//   node scripts/import-graph.mjs            every package, circles only
//   node scripts/import-graph.mjs --floors   and the floors
//   node scripts/import-graph.mjs core       one package
// A relative import (`./x.js`, `../y.js`, with or without `type`) is an edge;
// packages and node builtins are not. Text-level on purpose: no TypeScript
// program is needed, and `import type` counts the same as `import`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const showFloors = args.includes('--floors');
const only = args.filter((a) => !a.startsWith('--'));
const packages = readdirSync(join(root, 'packages')).filter((p) => !only.length || only.includes(p));

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

// import ... from '...', export ... from '...', import '...', import('...'): each with its specifier.
const IMPORT = /(?:^|[;\s])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/gm;

function edgesOf(file, files) {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    const base = resolve(dirname(file), spec).replace(/\.js$/, '');
    const target = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((f) => files.has(f));
    if (target) out.add(target);
  }
  return out;
}

/** Tarjan's strongly connected components: each of more than one file (or a self-import) is a circle. */
function circles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const found = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v).has(v)) found.push(scc);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** Floor 0: imports nothing; floor n: 1 + the highest floor it imports (a circle shares one floor). */
function floors(graph, sccs) {
  const group = new Map();
  for (const scc of sccs) for (const f of scc) group.set(f, scc);
  const memo = new Map();
  const floorOf = (v, seen = new Set()) => {
    if (memo.has(v)) return memo.get(v);
    const members = group.get(v) ?? [v];
    for (const m of members) seen.add(m);
    let floor = 0;
    for (const m of members) for (const w of graph.get(m)) if (!seen.has(w)) floor = Math.max(floor, floorOf(w, new Set(seen)) + 1);
    for (const m of members) memo.set(m, floor);
    return floor;
  };
  const out = new Map();
  for (const v of graph.keys()) {
    const f = floorOf(v);
    if (!out.has(f)) out.set(f, []);
    out.get(f).push(v);
  }
  return [...out.entries()].sort((a, b) => b[0] - a[0]);
}

let failed = false;
for (const pkg of packages) {
  const src = join(root, 'packages', pkg, 'src');
  let list;
  try {
    list = filesUnder(src);
  } catch {
    continue;
  }
  const files = new Set(list);
  const graph = new Map(list.map((f) => [f, edgesOf(f, files)]));
  const sccs = circles(graph);
  const edges = [...graph.values()].reduce((n, s) => n + s.size, 0);
  console.log(`${pkg}: ${files.size} files, ${edges} imports, ${sccs.length ? `${sccs.length} circle(s)` : 'no circle'}`);
  for (const scc of sccs) {
    failed = true;
    console.log(`  circle of ${scc.length}: ${scc.map((f) => relative(src, f)).sort().join(', ')}`);
  }
  if (showFloors) {
    for (const [floor, members] of floors(graph, sccs)) console.log(`  floor ${floor}: ${members.map((f) => relative(src, f)).sort().join(' ')}`);
  }
}
if (failed) {
  console.error('An import circle (type imports included): the layering is plugins -> pool -> client -> platform -> FFI, with no arrow back up.');
  process.exit(1);
}
