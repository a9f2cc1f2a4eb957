#!/usr/bin/env node
// Completes the standalone server (`.next/standalone/web`): Next leaves the static assets and
// public/ out of it, expecting a CDN; `posey up` serves them from the same process instead.

import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const standalone = join(root, '.next', 'standalone', 'web');
if (!existsSync(join(standalone, 'server.js'))) {
  console.error(`no standalone server at ${standalone}: run \`next build\` first`);
  process.exit(1);
}
cpSync(join(root, '.next', 'static'), join(standalone, '.next', 'static'), { recursive: true });
cpSync(join(root, 'public'), join(standalone, 'public'), { recursive: true });
console.log(`standalone server ready: node ${join(standalone, 'server.js')}`);
