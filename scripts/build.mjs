#!/usr/bin/env node
// Bundles the Action (dist/index.js) and the CLI (dist/cli/index.js) with ncc and puts the
// WebAssembly binaries next to each bundle. ncc never cleans its output, so dist/ is removed first.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ncc = path.join('node_modules', '.bin', 'ncc');
const wasmDir = path.join('node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const wasmFiles = fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm') && !f.includes('threaded'));

// Native or large packages, resolved at run time from the workspace or node_modules, never bundled.
const externals = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-backend-webgpu'].flatMap((p) => ['-e', p]);

// Our own kernels first: src/accel/kernels/kernels-wasm.ts is generated from kernels.wat.
execFileSync(process.execPath, ['scripts/build-kernels.mjs'], { stdio: 'inherit' });

fs.rmSync('dist', { recursive: true, force: true });
const builds = [
  ['src/index.ts', 'dist'],
  ['src/cli.ts', 'dist/cli'],
];
for (const [entry, out] of builds) {
  execFileSync(ncc, ['build', entry, '-o', out, '--target', 'es2022', '-q', ...externals], { stdio: 'inherit' });
  // ncc copies the wasm package's whole dist/ folder as an asset; only the binaries are needed.
  fs.rmSync(path.join(out, 'dist'), { recursive: true, force: true });
  for (const f of wasmFiles) fs.copyFileSync(path.join(wasmDir, f), path.join(out, f));
  fs.writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
}
console.log(`built ${builds.map((b) => b[1] + '/index.js').join(' and ')}`);
