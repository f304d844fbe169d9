import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Run from the repository root (`vite build --config web/vite.config.ts`); everything resolves
// relative to this folder so the app stays self-contained.
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  publicDir: 'public',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Charts pull in Recharts + d3 pieces; splitting them keeps the first paint small.
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      output: {
        manualChunks: {
          mantine: ['@mantine/core', '@mantine/hooks', '@mantine/notifications'],
          charts: ['@mantine/charts', 'recharts'],
        },
      },
    },
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development, against a running gateway.
    proxy: { '/api': { target: process.env.TOOLGATE_URL ?? 'http://127.0.0.1:8787', changeOrigin: true } },
  },
});
