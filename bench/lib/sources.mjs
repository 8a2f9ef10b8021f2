// Our TypeScript sources, loaded in place through vite (a dev dependency), for the step benchmarks
// that need no build.
import { createServer } from 'vite';

/** `load('/src/...ts')` imports a source module; `close()` when done. */
export async function sourceLoader(root) {
  const vite = await createServer({
    root,
    configFile: false,
    logLevel: 'error',
    appType: 'custom',
    server: { middlewareMode: true, hmr: false, ws: false, watch: null },
    optimizeDeps: { noDiscovery: true },
  });
  return { load: (file) => vite.ssrLoadModule(file), close: () => vite.close() };
}
