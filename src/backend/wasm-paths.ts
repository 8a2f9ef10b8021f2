import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const WASM_FILE = 'tfjs-backend-wasm-simd.wasm';

/**
 * Finds the folder holding the wasm binaries: next to the bundle (dist/) when bundled,
 * inside node_modules when running from source.
 */
export function findWasmDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [here, path.join(here, '..'), path.join(here, '..', '..')];
  try {
    const require = createRequire(import.meta.url);
    candidates.push(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')));
  } catch {
    // Bundled: the package is not resolvable, the files sit next to the bundle.
  }
  candidates.push(path.join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist'));
  const dir = candidates.find((d) => fs.existsSync(path.join(d, WASM_FILE)));
  if (!dir) throw new Error(`cannot find ${WASM_FILE} (looked in ${candidates.join(', ')})`);
  return dir;
}
