#!/usr/bin/env node
// Bundles dist/index.js with ncc: one file for the Action and the command line (bin/finetune.js
// marks the process as the command line before importing it), with the WebAssembly binaries next
// to it, once. dist/cli/index.js is a few lines that start the same bundle as the command line,
// for scripts that ran the command line's bundle by that path. ncc never cleans its output, so
// dist/ is removed first.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ncc = path.join('node_modules', '.bin', 'ncc');
const wasmDir = path.join('node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const wasmFiles = fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm') && !f.includes('threaded'));

// Native or large packages, resolved at run time from the workspace or node_modules, never bundled.
const externals = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-backend-webgpu'].flatMap((p) => [
  '-e',
  p,
]);

// Our own kernels first: src/accel/kernels/kernels-wasm.ts is generated from kernels.wat.
execFileSync(process.execPath, ['scripts/build-kernels.mjs'], { stdio: 'inherit' });

fs.rmSync('dist', { recursive: true, force: true });
execFileSync(ncc, ['build', 'src/index.ts', '-o', 'dist', '--target', 'es2022', '-q', ...externals], { stdio: 'inherit' });
// ncc copies the wasm package's whole dist/ folder as an asset; only the binaries are needed.
fs.rmSync(path.join('dist', 'dist'), { recursive: true, force: true });
for (const f of wasmFiles) fs.copyFileSync(path.join(wasmDir, f), path.join('dist', f));
fs.writeFileSync(path.join('dist', 'package.json'), '{ "type": "module" }\n');
fs.mkdirSync(path.join('dist', 'cli'));
fs.writeFileSync(
  path.join('dist', 'cli', 'index.js'),
  '// The command line: the same bundle as the Action (../index.js), marked as the command line.\n' +
    "globalThis[Symbol.for('finetune-action.cli')] = true;\nawait import('../index.js');\n",
);
const mb = (fs.statSync(path.join('dist', 'index.js')).size / 1e6).toFixed(1);
console.log(`built dist/index.js (${mb} MB) and ${wasmFiles.length} wasm binaries`);
