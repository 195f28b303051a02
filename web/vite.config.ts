import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

/** Builds the dashboard SPA into dist/web, which the relay serves at /. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // Every browser that runs ES2022 modules supports modulepreload; no polyfill code needed.
    modulePreload: { polyfill: false },
  },
  // `npm run dev:web` next to `npm run dev`: the UI with hot reload, the API from the relay.
  server: { proxy: { '/api': 'http://127.0.0.1:8787' } },
});
