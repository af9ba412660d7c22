import { defineConfig } from 'vite';
import { mediasoupClientRed } from './build/mediasoup-client-red.ts';
import { precompress } from './build/precompress.ts';

// The room is served by the API under /session/:id, with assets under /assets/.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  plugins: [mediasoupClientRed(), precompress()],
});
