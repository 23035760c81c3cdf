import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The kiosk, checkout and manager pages: one app shell, one entry. Checkout and manager pages are
 * separate lazy chunks (import.meta.glob in src/main.tsx), so the kiosk only downloads its own code.
 * `npm run dev` style: `npx vite kiosk-ui` proxies the API to a terminal on :8080.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Hashed names; the terminal serves index.html with no-cache and assets as immutable files.
    assetsDir: 'assets',
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': { target: 'http://localhost:8080', ws: true } },
  },
});
