#!/usr/bin/env node
// The plugins' prepack: npm's pack and publish would ship `"@jobslot/core":
// "workspace:*"` as it stands, which npm cannot install (EUNSUPPORTEDPROTOCOL).
// pnpm's pack and publish (and `changeset publish`, which uses them) rewrite it
// to the real version; refuse the others, saying which to use.
import { readFileSync } from 'node:fs';

const agent = process.env.npm_config_user_agent ?? '';
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const workspace = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies })
  .filter(([, range]) => String(range).startsWith('workspace:'))
  .map(([name]) => name);
if (workspace.length > 0 && !agent.startsWith('pnpm/')) {
  console.error(
    `${manifest.name}: pack and publish with pnpm (\`pnpm pack\`, \`pnpm run release\` at the root): ` +
      `${agent.split(' ')[0] || 'this tool'} would leave ${workspace.join(', ')} as workspace:*, which npm cannot install`,
  );
  process.exit(1);
}
