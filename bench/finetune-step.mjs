#!/usr/bin/env node
// Time of one training step (forward, backward, Adam update) of the top blocks of the example
// MobileNetV2, from layer --from to --to plus a Dense head, on each backend. On wasm it runs on the
// gradient kernels of src/backend/wasm-grad-kernels.ts (stock wasm cannot train a conv layer).
//   node bench/finetune-step.mjs [--from block_14_expand] [--to out_relu] [--size 96] [--batch 16]
//                                [--steps 3] [--backends wasm,cpu]
// The TypeScript sources are loaded through vite (a dev dependency); the example model is made
// by scripts/prepare-example-model.mjs when missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createServer } from 'vite';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_DIR = path.join(ROOT, 'examples/fashion-mnist/models/mobilenet_v2');

const { values: opts } = parseArgs({
  options: {
    from: { type: 'string', default: 'block_14_expand' },
    to: { type: 'string', default: 'out_relu' },
    size: { type: 'string', default: '96' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'wasm,cpu' },
  },
});
const size = Number(opts.size);
const batch = Number(opts.batch);
const steps = Number(opts.steps);

if (!fs.existsSync(path.join(MODEL_DIR, 'model.json'))) {
  spawnSync(process.execPath, [path.join(ROOT, 'scripts/prepare-example-model.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

const vite = await createServer({
  root: ROOT,
  configFile: false,
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
  optimizeDeps: { noDiscovery: true },
});
const load = (file) => vite.ssrLoadModule(file);
const { tf } = await load('/src/backend/tf.ts');
const { selectBackend } = await load('/src/backend/select.ts');
const { registerWasmGradKernels } = await load('/src/backend/wasm-grad-kernels.ts');
const { readModelSource } = await load('/src/model/source.ts');
const { buildBackbone } = await load('/src/model/backbone.ts');
const { silentLogger } = await load('/src/util/log.ts');
const source = await readModelSource('mobilenet_v2', path.join(MODEL_DIR, 'model.json'));

/** The layers from `from` to `to` applied again to a new input, so that only they train. */
function slice(full, from, to) {
  const names = full.layers.map((l) => l.name);
  const [start, end] = [names.indexOf(from), names.indexOf(to)];
  if (start < 0 || end < start) throw new Error(`no layers from ${from} to ${to} in the model`);
  const outputs = new Map();
  let input;
  for (const layer of full.layers.slice(start, end + 1)) {
    const inbound = layer.inboundNodes[0].inboundLayers.map((l) => {
      if (!outputs.has(l.name)) {
        input ??= tf.input({ shape: l.outputShape.slice(1) });
        outputs.set(l.name, input);
      }
      return outputs.get(l.name);
    });
    outputs.set(layer.name, layer.apply(inbound.length === 1 ? inbound[0] : inbound));
  }
  const pooled = tf.layers.globalAveragePooling2d({}).apply(outputs.get(to));
  const head = tf.layers.dense({ units: 10 });
  const model = tf.model({ inputs: input, outputs: head.apply(pooled) });
  const [kernel] = head.getWeights();
  // Seeded, so that both backends start from the same weights and give the same losses.
  head.setWeights([tf.tensor(uniform(kernel.size, 2, 0.1), kernel.shape), tf.zeros([10])]);
  model.trainable = true;
  return model;
}

/** `n` seeded numbers in [-scale, scale) (a 32-bit LCG). */
function uniform(n, seed, scale) {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 * scale - scale;
  });
}

/** A seeded batch for the sliced model's input, and one-hot labels. */
function batchFor(model) {
  const shape = [batch, ...model.inputs[0].shape.slice(1)];
  const labels = tf.oneHot(tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10);
  return { x: tf.tensor(uniform(shape.reduce((a, b) => a * b, 1), 1, 2), shape), y: labels };
}

async function measure(backend) {
  await selectBackend(backend, silentLogger);
  registerWasmGradKernels();
  const { model: full } = await buildBackbone(source, { cut: opts.to, size: [size, size], channels: 3 });
  const model = slice(full, opts.from, opts.to);
  const { x, y } = batchFor(model);
  const optimizer = tf.train.adam(1e-4);
  const times = [];
  let loss = 0;
  for (let i = 0; i <= steps; i++) {
    const start = performance.now();
    const l = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true);
    loss = (await l.data())[0];
    l.dispose();
    if (i > 0) times.push(performance.now() - start); // the first step builds kernels and caches
  }
  const params = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  tf.dispose([x, y]);
  optimizer.dispose();
  full.dispose();
  times.sort((a, b) => a - b);
  return { backend, median: times[Math.floor(times.length / 2)], min: times[0], loss, params, input: model.inputs[0].shape };
}

console.log(`training step: ${opts.from} .. ${opts.to} + GAP + Dense 10, ${size} px, batch ${batch}, median of ${steps} steps after one warm-up`);
for (const backend of opts.backends.split(',')) {
  const r = await measure(backend);
  console.log(
    `${r.backend.padEnd(5)} ${r.median.toFixed(0).padStart(6)} ms/step (min ${r.min.toFixed(0)}), loss ${r.loss.toFixed(4)}, ` +
      `${(r.params / 1e6).toFixed(2)}M trainable params, input [${r.input.slice(1).join(', ')}]`,
  );
}
await vite.close();
