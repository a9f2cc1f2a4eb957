import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // @posey/ui's source lies beside this app: its `react` must be this app's, not its own.
  resolve: { alias: { '@': fileURLToPath(new URL('./', import.meta.url)) }, dedupe: ['react', 'react-dom'] },
  test: { include: ['test/**/*.test.ts'], environment: 'node' },
});
