import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Each test starts a real `posey up` (a debug build loads its models).
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
