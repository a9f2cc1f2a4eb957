import type { NextConfig } from 'next';

const config: NextConfig = {
  // `posey up` runs `node .next/standalone/server.js`: no node_modules needed at run time.
  output: 'standalone',
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
