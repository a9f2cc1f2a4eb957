import { fileURLToPath } from 'node:url';

import type { NextConfig } from 'next';

// apps/: the SDK (`file:../sdk`, a symlink) lives beside this app, outside its own folder.
const appsDir = fileURLToPath(new URL('..', import.meta.url));

const config: NextConfig = {
  // `posey up` runs `node .next/standalone/server.js`: no node_modules needed at run time.
  output: 'standalone',
  outputFileTracingRoot: appsDir,
  turbopack: { root: appsDir },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
