#!/usr/bin/env node
// Turns the pre-trained Keras MobileNetV2 that the npm package `nsfwjs` ships (wrapped in UMD
// modules) into a standard TF.js LayersModel: model.json + one binary weights file.
// Idempotent: skips the work when the output already matches the source.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const outDir = path.resolve(process.argv[2] ?? 'examples/fashion-mnist/models/mobilenet_v2');
// The package's exports map hides package.json: walk up from its entry to the package root.
let pkgDir = path.dirname(require.resolve('nsfwjs'));
while (path.basename(pkgDir) !== 'nsfwjs') pkgDir = path.dirname(pkgDir);
const srcDir = path.join(pkgDir, 'dist', 'models', 'mobilenet_v2');
if (!fs.existsSync(srcDir)) throw new Error(`nsfwjs models not found under ${pkgDir}`);

const modelModule = require(path.join(srcDir, 'model.min.js'));
const shardFiles = fs
  .readdirSync(srcDir)
  .filter((f) => /^group\d+-shard\d+of\d+\.min\.js$/.test(f))
  .sort();
const stamp = createHash('sha256').update(JSON.stringify(modelModule)).update(shardFiles.join(',')).digest('hex');
const stampFile = path.join(outDir, '.source-sha256');
if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
  console.log(`example model up to date: ${path.relative(process.cwd(), outDir)}/model.json`);
  process.exit(0);
}

const shards = shardFiles.map((f) => Buffer.from(require(path.join(srcDir, f)), 'base64'));
const weights = Buffer.concat(shards);
const { modelTopology, weightsManifest } = modelModule;
const specs = weightsManifest.flatMap((group) => group.weights);
const expected = specs.reduce((sum, w) => {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const bytes = w.quantization ? { uint8: 1, uint16: 2, float16: 2 }[w.quantization.dtype] : 4;
  return sum + n * bytes;
}, 0);
if (expected !== weights.length) {
  throw new Error(`weights are ${weights.length} bytes, the manifest declares ${expected}`);
}

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'weights.bin'), weights);
const modelJson = {
  format: 'layers-model',
  generatedBy: 'finetune-action scripts/prepare-example-model.mjs from nsfwjs@4.4.0',
  convertedBy: null,
  modelTopology,
  weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
};
fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(modelJson));
fs.writeFileSync(stampFile, stamp);
console.log(`wrote ${path.relative(process.cwd(), outDir)}/model.json (${specs.length} tensors, ${weights.length} bytes of weights)`);
