import { fileURLToPath } from 'node:url';

import type { NextConfig } from 'next';

// apps/: the SDK and the shared components (`file:../sdk`, `file:../ui`, symlinks) live beside
// this app, outside its own folder.
const appsDir = fileURLToPath(new URL('..', import.meta.url));

const config: NextConfig = {
  // `posey up` runs `node .next/standalone/server.js`: no node_modules needed at run time.
  output: 'standalone',
  outputFileTracingRoot: appsDir,
  turbopack: { root: appsDir },
  // @posey/ui is TypeScript source beside this app (`file:../ui`): compiled here, with this app's
  // React.
  transpilePackages: ['@posey/ui'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
