// @jobslot/vite-plugin as a new user installs it (the README's npm and pnpm
// lines, the tarballs standing in for the registry) into the app `npm create
// vite` makes (react-ts, trimmed: the same files and config shape), at the
// oldest and newest vite its peer range allows, built by the README's
// Makefile recipe; and its types as a strict TypeScript user meets them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTests, npmInstall, peerEnds, pnpmInstall, projectDir, readme, semver, sources, strictTsc, write } from './project.js';

const { range, oldest, newest } = await peerEnds('vite-plugin', 'vite');
const { npm, pnpm, recipe } = readme('vite-plugin', 'vite', 'vite build');
const OUTPUTS = ['dist/index.html'];

/** The react-ts app, installed by `how` (npm or pnpm) with vite `version`. */
async function viteApp(name: string, version: string, how: 'npm' | 'pnpm'): Promise<string> {
  const dir = projectDir(name);
  write(dir, {
    'package.json': JSON.stringify({ name: 'vite-app', private: true, type: 'module' }, null, 2),
    'index.html': '<!doctype html>\n<html><head><title>app</title></head><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>\n',
    'src/main.tsx': "import { StrictMode } from 'react';\nimport { createRoot } from 'react-dom/client';\nimport App from './App.tsx';\nimport './index.css';\ncreateRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);\n",
    'src/App.tsx': "import { useState } from 'react';\nimport { f0 } from './m0.ts';\nexport default function App() {\n  const [n, setN] = useState(0);\n  return <button onClick={() => setN(n + 1)}>count {n} {f0(n)}</button>;\n}\n",
    'src/index.css': ':root { font-family: system-ui; }\nbutton { padding: 0.6em 1.2em; }\n',
    'vite.config.ts': "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nimport { jobslot } from '@jobslot/vite-plugin';\n\nexport default defineConfig({\n  plugins: [react(), jobslot()],\n});\n",
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', jsx: 'react-jsx', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: ['vite/client'] }, include: ['src'] }, null, 2),
  });
  sources(dir, 'ts');
  // @vitejs/plugin-react 6 is for vite 8; 4.7 covers vite 4.2 to 7.
  const react = semver.major(version) >= 8 ? '@vitejs/plugin-react' : '@vitejs/plugin-react@4.7.0';
  const extra = [react, 'react@19', 'react-dom@19', '@types/react@19', '@types/react-dom@19', 'typescript@5.9.3', '@types/node@20'];
  if (how === 'npm') await npmInstall(dir, npm, { vite: version }, extra);
  else if (pnpm) await pnpmInstall(dir, pnpm, { vite: version }, extra);
  else throw new Error('packages/vite-plugin/README.md has no `pnpm add -D` line naming vite');
  return dir;
}

describe.each([newest, oldest])(`vite %s (peer range ${range}), installed with npm`, (version) => {
  let dir = '';
  beforeAll(async () => {
    dir = await viteApp(`vite-${version}`, version, 'npm');
  });
  // vite 5.4.0 took 246-265 tokens in one build (a token read and written back per hook call) before
  // hook calls shared the slots they end (vite-plugin's warm.ts); vite 8 takes 2.
  buildTests({ dir: () => dir, target: 'web', recipe, outputs: OUTPUTS, newest: version === newest, maxAcquired: 40 });

  // The plugin is ESM only, as vite is: strict TypeScript with node16 resolution and skipLibCheck off
  // compiles an ES module that imports it, and a CommonJS one fails at its own import line (TS1479),
  // not inside the plugin's types.
  it('strict tsc (node16, skipLibCheck false): an ES module importing the plugin compiles', async () => {
    writeFileSync(join(dir, 'check.mts'), "import { jobslot } from '@jobslot/vite-plugin';\nexport const plugin = jobslot({ exclude: 'vite:css' });\n");
    const r = await strictTsc(dir, 'check.mts');
    expect(r.code, r.output).toBe(0);
  });
  it('strict tsc: from CommonJS, TS1479 at the import line and nothing inside the plugin\'s types', async () => {
    writeFileSync(join(dir, 'check.cts'), "import { jobslot } from '@jobslot/vite-plugin';\nexport const plugin = jobslot();\n");
    const r = await strictTsc(dir, 'check.cts');
    const errors = r.output.split('\n').filter((l) => /error TS/.test(l));
    expect(errors.length, r.output).toBeGreaterThan(0);
    expect(errors.filter((l) => !(l.startsWith('check.cts(') && l.includes('TS1479'))), r.output).toEqual([]);
  });
});

describe(`vite ${newest}, installed with pnpm (build scripts decided as the README says)`, () => {
  let dir = '';
  beforeAll(async () => {
    dir = await viteApp(`vite-${newest}-pnpm`, newest, 'pnpm');
  });
  // Only the system make: the same build under make 4.4.1 and alone are the npm project's tests.
  buildTests({ dir: () => dir, target: 'web', recipe, outputs: OUTPUTS, newest: false });
});
