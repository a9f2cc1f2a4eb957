// `npm run bench`: the BFF overhead measurement (bench/), on the e2e tests' posey and server.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./', import.meta.url)) } },
  test: { include: ['bench/**/*.test.ts'], environment: 'node', globalSetup: ['e2e/setup.ts'], testTimeout: 900_000, hookTimeout: 300_000 },
});
