// The browser tests: the web export (react-native-web) served beside a real `posey up` (the
// shared harness), driven through Debian's Chromium with playwright-core.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['e2e/setup.ts'],
    // One posey, one browser: the files run one after another.
    fileParallelism: false,
    testTimeout: 150_000,
    hookTimeout: 300_000,
  },
});
