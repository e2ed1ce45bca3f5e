// The tarballs as `changeset publish` would publish them (pnpm pack, in
// pack.setup.ts): installable by npm, complete, and clean by the tools that
// judge published packages (publint, arethetypeswrong); and npm's own pack,
// which would ship `workspace:*`, refuses.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/index.js';
import { PACKAGES } from './env.js';
import { release, userRun } from './project.js';

describe.each(PACKAGES)('packages/%s packed with pnpm', (pkg) => {
  const dir = join(ROOT, 'packages', pkg);
  const name = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
  const tarball = () => release().tarballs[name]!;

  it('package.json has no workspace: range and no private @jobslot/e2e (.pnpmfile.cjs); the tarball has the LICENSE', () => {
    const manifest = execFileSync('tar', ['-xOzf', tarball(), 'package/package.json'], { encoding: 'utf8' });
    const listing = execFileSync('tar', ['-tzf', tarball()], { encoding: 'utf8' }).split('\n');
    expect.soft(manifest).not.toContain('workspace:');
    expect.soft(manifest).not.toContain('@jobslot/e2e');
    expect.soft(listing).toContain('package/LICENSE');
    expect.soft(listing.some((f) => f.startsWith('package/dist/')), 'dist/ in the tarball').toBe(true);
  });

  // core has no workspace: dependency, so npm could pack it as it is.
  if (pkg !== 'core') {
    it('npm pack refuses, naming pnpm (it would ship workspace:*)', async () => {
      const r = await userRun('npm', ['pack', '--dry-run'], dir);
      expect(r.code, r.output).not.toBe(0);
      expect(r.output).toContain('pack and publish with pnpm');
    });
  }

  it('publint --strict', async () => {
    const r = await userRun('node', [join(ROOT, 'node_modules/publint/src/cli.js'), '--strict', tarball()], dir);
    expect(r.code, r.output).toBe(0);
  });

  // The types as TypeScript resolves them (node10, node16 from CJS and ESM, bundler). The vite
  // plugin is ESM only, as vite is: from CommonJS it is a dynamic import, by design.
  it(`arethetypeswrong${pkg === 'vite-plugin' ? ' (ESM only)' : ''}`, async () => {
    const profile = pkg === 'vite-plugin' ? ['--profile', 'esm-only'] : [];
    const r = await userRun('node', [join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js'), ...profile, tarball()], dir);
    expect(r.code, r.output).toBe(0);
  });
});
