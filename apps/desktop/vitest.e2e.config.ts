// The end-to-end run: the built app under Xvfb, driven through tauri-driver and WebKitWebDriver,
// against a real `posey up` (e2e/setup.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['e2e/setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
