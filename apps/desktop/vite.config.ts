// The webview's bundle: React with Tailwind and daisyUI, served by Tauri from dist/ (no dev
// server in a build). Relative asset paths, since Tauri serves the app from its own origin.
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  base: './',
  // @posey/ui's source lies beside this app: its `react` must be this app's, not its own copy.
  resolve: { dedupe: ['react', 'react-dom'] },
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true, target: 'safari16' },
  test: { include: ['test/**/*.test.ts'], environment: 'node' },
});
