// The dashboard's build. `npm start` runs it when web/ changed (scripts/build-web.mjs) and the
// server serves web/dist/; `npm run dev:web` serves it with hot reload on :5173, proxying the
// API to the server on :3000 (start that with `npm run dev`).
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.SWITCHYARD_API ?? 'http://localhost:3000';
const proxied = ['/api', '/hooks', '/approvals', '/health', '/metrics', '/openapi.json', '/docs'];

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), tailwindcss()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: api, changeOrigin: false }])),
  },
});
