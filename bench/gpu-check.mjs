#!/usr/bin/env node
// GPU check for a machine with a GPU: which backend `auto` picks, then the time to extract features
// of N example images through each backend with the bundled CLI (dist/cli/index.js).
//   node bench/gpu-check.mjs [--images 1000] [--size 96] [--backends webgpu,wasm]
// Needs `npm run build`, and node_modules beside the repo holding the optional packages webgpu and
// @tensorflow/tfjs-backend-webgpu (npm ci installs them), plus a Vulkan driver. FINETUNE_CLI picks
// another bundle.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.resolve(process.env.FINETUNE_CLI ?? path.join(ROOT, 'dist/cli/index.js'));
const EXAMPLE = path.join(ROOT, 'examples/fashion-mnist');
const TEST_IMAGES = 100;

const { values: opts } = parseArgs({
  options: {
    images: { type: 'string', default: '1000' },
    size: { type: 'string', default: '96' },
    backends: { type: 'string', default: 'webgpu,wasm' },
  },
});

/** The first `n` items of a gzipped IDX file, as a gzipped IDX file. */
function idxHead(file, n) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const rank = buf[3];
  const header = Buffer.from(buf.subarray(0, 4 + rank * 4));
  const available = header.readUInt32BE(4);
  if (n > available) throw new Error(`${file} holds ${available} items, ${n} asked for`);
  const item = Array.from({ length: rank - 1 }, (_, i) => header.readUInt32BE(8 + i * 4)).reduce((a, b) => a * b, 1);
  header.writeUInt32BE(n, 4);
  return zlib.gzipSync(Buffer.concat([header, buf.subarray(4 + rank * 4, 4 + rank * 4 + n * item)]));
}

/** A throwaway repository: N training images, a small test set, the example's base model. */
function makeRepo(images, size) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-gpu-check-'));
  fs.mkdirSync(path.join(dir, '.git'));
  fs.mkdirSync(path.join(dir, 'data'));
  const src = (f) => path.join(EXAMPLE, 'data', f);
  fs.writeFileSync(path.join(dir, 'data/train-images.gz'), idxHead(src('train-images-idx3-ubyte.gz'), images));
  fs.writeFileSync(path.join(dir, 'data/train-labels.gz'), idxHead(src('train-labels-idx1-ubyte.gz'), images));
  fs.writeFileSync(path.join(dir, 'data/test-images.gz'), idxHead(src('t10k-images-idx3-ubyte.gz'), TEST_IMAGES));
  fs.writeFileSync(path.join(dir, 'data/test-labels.gz'), idxHead(src('t10k-labels-idx1-ubyte.gz'), TEST_IMAGES));
  fs.cpSync(path.join(EXAMPLE, 'models/mobilenet_v2'), path.join(dir, 'models/base'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'finetune.yml'),
    `version: 1
name: gpu-check
task: image-classification
seed: 7
model: { base: models/base/model.json, cut: block_13_expand_relu, head: { hidden: [64] }, input: { size: [${size}, ${size}] } }
data:
  format: idx
  train: { images: data/train-images.gz, labels: data/train-labels.gz }
  test: { images: data/test-images.gz, labels: data/test-labels.gz }
  split: { validation: 0.1 }
train: { epochs: 3, batch_size: 64, early_stopping: false }
gate: { metrics: { accuracy: { min: 0 } } }
`,
  );
  return dir;
}

/** One `finetune run` in the repository; its backend line, feature time and test accuracy. */
function run(repo, backend) {
  const started = Date.now();
  const res = spawnSync(process.execPath, [CLI, 'run', '--backend', backend, '--no-cache'], {
    cwd: repo,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const out = `${res.stdout}\n${res.stderr}`;
  if (res.status !== 0) return { backend, error: `exit ${res.status}: ${out.trim().split('\n').slice(-8).join('\n')}` };
  const report = JSON.parse(fs.readFileSync(path.join(repo, 'finetune-out/report.json'), 'utf8'));
  const notes = out.split('\n').filter((l) => l.startsWith('backend auto:'));
  const chosen = /^backend: (.*)$/m.exec(out)?.[1] ?? '?';
  const rows = report.data.train + report.data.validation + report.data.test;
  return {
    backend,
    chosen,
    notes,
    features_s: report.timing.features_s,
    rows,
    accuracy: report.metrics.accuracy,
    total_s: (Date.now() - started) / 1000,
  };
}

function machineLines() {
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
  const icdDirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  const icds = icdDirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((f) => path.join(d, f)) : []));
  return [
    `node ${process.version}, ${os.cpus().length} cores`,
    `gpu: ${smi.status === 0 ? smi.stdout.trim() : 'nvidia-smi not available'}`,
    `vulkan drivers: ${process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? (icds.join(', ') || 'none found')}`,
  ];
}

function print(r) {
  if (r.error) return console.log(`${r.backend.padEnd(8)} FAILED ${r.error}`);
  for (const n of r.notes) console.log(`         ${n}`);
  const rate = (r.rows / r.features_s).toFixed(1);
  console.log(`${r.backend.padEnd(8)} -> ${r.chosen}`);
  console.log(
    `         features: ${r.rows} images in ${r.features_s.toFixed(2)} s (${rate} img/s); test accuracy ${r.accuracy.toFixed(4)}; whole run ${r.total_s.toFixed(1)} s`,
  );
}

for (const [file, make] of [
  [CLI, 'npm run build'],
  [path.join(EXAMPLE, 'models/mobilenet_v2/model.json'), 'npm run example:model'],
]) {
  if (fs.existsSync(file)) continue;
  console.error(`${file} is missing: run ${make}`);
  process.exit(2);
}
const images = Number(opts.images);
const size = Number(opts.size);
machineLines().forEach((l) => console.log(l));
console.log(`job: ${images} training + ${TEST_IMAGES} test images at ${size}x${size} px, MobileNetV2 cut at block_13_expand_relu\n`);
const repo = makeRepo(images, size);
try {
  for (const backend of ['auto', ...opts.backends.split(',')]) print(run(repo, backend));
} finally {
  fs.rmSync(repo, { recursive: true, force: true });
}
