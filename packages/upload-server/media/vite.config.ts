import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The page is built into the server's dist, so it ships inside the npm package and needs no CDN.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/media/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/media', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    modulePreload: { polyfill: false },
  },
});
