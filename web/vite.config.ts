/**
 * Vite build of the MedChain web UI. The UI imports the project's TypeScript SDK and crypto module
 * straight from ../src (they avoid node: imports), so the bundle uses exactly the code the CLI and
 * gateway tests exercise. `npx vite build --config web/vite.config.ts` writes web/dist, which the
 * gateway serves at `/` on the same origin as /api, /auth, /rpc and /fhir.
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = import.meta.dirname;
/** `npx vite --config web/vite.config.ts` proxies the API to a running gateway (default http://127.0.0.1:8080). */
const gateway = process.env.MEDCHAIN_GATEWAY ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  // The SDK lives outside the Vite root; allow the dev server to read it.
  server: {
    fs: { allow: [`${root}/..`] },
    proxy: Object.fromEntries(['/api', '/auth', '/rpc', '/fhir'].map((path) => [path, { target: gateway, changeOrigin: false }])),
  },
  build: { outDir: `${root}/dist`, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096, sourcemap: false },
  logLevel: 'warn',
});
