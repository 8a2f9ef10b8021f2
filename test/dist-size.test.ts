// dist/ is committed and downloaded by every job that uses the Action: one bundle for the Action
// and the command line, each WebAssembly binary once, and a size budget that a new dependency
// cannot quietly blow (it was 27 MB with two bundles; 16.3 MB with one).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The budget for everything under dist/, in bytes (docs/architecture.md says the same). */
const DIST_BUDGET = 20_000_000;
/** A file that only starts the bundle (dist/cli/index.js) stays below this. */
const SHIM_MAX = 1_000;

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('dist/', () => {
  const all = files('dist');
  const size = (f: string) => fs.statSync(f).size;

  it(`stays under its budget of ${DIST_BUDGET / 1e6} MB`, () => {
    const total = all.reduce((s, f) => s + size(f), 0);
    expect(total).toBeLessThan(DIST_BUDGET);
  });

  it('holds one bundle: every other script only starts it', () => {
    const scripts = all.filter((f) => f.endsWith('.js'));
    const bundles = scripts.filter((f) => size(f) > SHIM_MAX);
    expect(bundles).toEqual([path.join('dist', 'index.js')]);
    for (const shim of scripts.filter((f) => !bundles.includes(f)))
      expect(fs.readFileSync(shim, 'utf8')).toMatch(/import\('\.\.\/index\.js'\)/);
  });

  it('holds each WebAssembly binary once, next to the bundle', () => {
    const wasm = all.filter((f) => f.endsWith('.wasm'));
    expect(wasm.map((f) => path.dirname(f))).toEqual(wasm.map(() => 'dist'));
    const digests = wasm.map((f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex'));
    expect(new Set(digests).size).toBe(digests.length);
    expect(wasm.map((f) => path.basename(f)).sort()).toEqual(['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm']);
  });
});
