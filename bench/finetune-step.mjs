#!/usr/bin/env node
// Time of one training step (forward, backward, Adam update) of the top blocks of the example
// MobileNetV2, from layer --from to --to plus a Dense head, on each backend. On wasm it runs on the
// gradient kernels of src/backend/wasm-gradients.ts (stock wasm cannot train a conv layer) with
// the accelerated ones of src/accel/wasm/ in front (FINETUNE_ACCEL=off measures without them).
//   node bench/finetune-step.mjs [--from block_14_expand] [--to out_relu] [--size 96] [--batch 16]
//                                [--steps 3] [--backends wasm,cpu] [--bn batch|inference]
//                                [--dump DIR] [--json FILE] [--profile]
// The batch is the first --batch Fashion-MNIST training images (Debian's dataset-fashion-mnist),
// preprocessed as our pipeline does and run through the frozen layers below --from: the step
// starts from those activations, so only the trainable part is timed. --bn batch runs BatchNorm
// in training mode (batch statistics, moving averages updated: `training: true`, what this step
// has always done); --bn inference uses the moving averages (gamma and beta still train), with
// BatchNorm folded into the convolutions inside the tape, as phase two of the pipeline runs it.
// --dump writes the batch, labels and head weights of the first backend for finetune_step.py;
// --json writes the results; --profile adds the time per kernel of the timed steps.
// The TypeScript sources are loaded through vite (a dev dependency); the example model is made
// by scripts/prepare-example-model.mjs when missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { profileKernels, summariseKernels } from './lib/kernel-profile.mjs';
import { sourceLoader } from './lib/sources.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_DIR = path.join(ROOT, 'examples/fashion-mnist/models/mobilenet_v2');
const IMAGES = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
const LABELS = '/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz';
const LEARNING_RATE = 1e-4;

const { values: opts } = parseArgs({
  options: {
    from: { type: 'string', default: 'block_14_expand' },
    to: { type: 'string', default: 'out_relu' },
    size: { type: 'string', default: '96' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'wasm,cpu' },
    bn: { type: 'string', default: 'batch' },
    dump: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const size = Number(opts.size);
const batch = Number(opts.batch);
const steps = Number(opts.steps);
if (!['batch', 'inference'].includes(opts.bn)) throw new Error(`--bn: batch or inference, not ${opts.bn}`);
const training = opts.bn === 'batch';

if (!fs.existsSync(path.join(MODEL_DIR, 'model.json'))) {
  spawnSync(process.execPath, [path.join(ROOT, 'scripts/prepare-example-model.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

const { load, close } = await sourceLoader(ROOT);
const { tf } = await load('/src/backend/tf.ts');
const { selectBackend } = await load('/src/backend/select.ts');
const { createTrainingOptimizer } = await load('/src/train/tensor-step.ts');
const { readModelSource } = await load('/src/model/source.ts');
const { buildBackbone } = await load('/src/model/backbone.ts');
const { readIdxFile } = await load('/src/data/idx.ts');
const { imagesToTensor } = await load('/src/features/preprocess.ts');
const { silentLogger } = await load('/src/util/log.ts');
const { compile } = await load('/src/model/inference.ts');
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

/** The first `batch` training images through the frozen layers below `from`, and one-hot labels. */
async function batchFor(full) {
  const below = full.getLayer(opts.from).inboundNodes[0].inboundLayers;
  if (below.length !== 1) throw new Error(`${opts.from} takes ${below.length} inputs; start the slice at a layer with one`);
  const { model: frozen } = await buildBackbone(source, { cut: below[0].name, size: [size, size], channels: 3 });
  const images = readIdxFile(IMAGES, 'images');
  const [, rows, cols] = images.dims;
  const pixels = rows * cols;
  const decoded = Array.from({ length: batch }, (_, i) => ({
    width: cols,
    height: rows,
    channels: 1,
    data: images.data.subarray(i * pixels, (i + 1) * pixels),
  }));
  const labels = Int32Array.from(readIdxFile(LABELS, 'labels').data.subarray(0, batch));
  const pixelsIn = imagesToTensor(decoded, { size: [size, size], channels: 3, scale: [-1, 1], resize: 'bilinear' });
  const x = tf.tidy(() => frozen.predict(pixelsIn));
  tf.dispose(pixelsIn);
  frozen.dispose();
  return { x, y: tf.oneHot(tf.tensor1d(labels, 'int32'), 10), labels, split: below[0].name };
}

/**
 * One step: forward, gradients, Adam update by the pipeline's optimizer (on wasm, in our kernels);
 * the wall time of each part (wasm and cpu run synchronously).
 */
function step(vars, optimizer, x, y, forward) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let t1 = 0;
  const f = () => {
    const loss = tf.losses.softmaxCrossEntropy(y, forward(x));
    t1 = performance.now();
    return loss;
  };
  const { value, grads } = tf.variableGrads(f, vars);
  const t2 = performance.now();
  optimizer.step(
    vars.map((v) => grads[v.name]),
    LEARNING_RATE,
  );
  const loss = value.dataSync()[0];
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  tf.dispose([value, ...Object.values(grads)]);
  // CPU time of every thread of the process (helpers too): what other load on the machine changes least.
  return { loss, total: t3 - t0, forward: t1 - t0, backward: t2 - t1, update: t3 - t2, cpu: (cpu.user + cpu.system) / 1000 };
}

async function measure(backend, dump) {
  await selectBackend(backend, silentLogger);
  const { model: full } = await buildBackbone(source, { cut: opts.to, size: [size, size], channels: 3 });
  const { x, y, labels, split } = await batchFor(full);
  const model = slice(full, opts.from, opts.to);
  if (dump) writeDump(dump, model, x, labels, split);
  const vars = model.trainableWeights.map((w) => w.read());
  const optimizer = createTrainingOptimizer({ optimizer: 'adam', weight_decay: 0, momentum: 0, nesterov: false }, vars);
  // Inference-mode BatchNorm runs the way phase two of the pipeline runs it: folded into the
  // convolutions inside the tape (src/model/inference.ts); batch statistics go through the layers.
  const folded = training ? undefined : compile(model, { trainable: true });
  const forward = folded ? (t) => folded.run(t) : (t) => model.apply(t, { training });
  const runs = [];
  const timedSteps = async () => {
    for (let i = 1; i <= steps; i++) runs.push(step(vars, optimizer, x, y, forward));
  };
  runs.push(step(vars, optimizer, x, y, forward)); // the first step builds kernels and caches: not timed
  const profile = opts.profile
    ? summariseKernels(await profileKernels(tf, backend, timedSteps), steps, Number(process.env.PROFILE_KERNELS ?? 12))
    : undefined;
  if (!opts.profile) await timedSteps();
  const params = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  tf.dispose([x, y]);
  optimizer.dispose();
  full.dispose();
  const timed = runs.slice(1);
  const med = (key) => +median(timed.map((r) => r[key])).toFixed(2);
  return {
    backend,
    ms_per_step: med('total'),
    min_ms: +Math.min(...timed.map((r) => r.total)).toFixed(2),
    forward_ms: med('forward'),
    backward_ms: med('backward'),
    update_ms: med('update'),
    cpu_ms_per_step: med('cpu'),
    losses: runs.map((r) => r.loss),
    params,
    input: [batch, ...model.inputs[0].shape.slice(1)],
    split,
    ...(profile ? { kernel_totals: profile.totals, kernels: profile.kernels } : {}),
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The batch (NHWC float32), labels (int32) and Dense kernel ([1280, 10] float32) the step starts from. */
function writeDump(dir, model, x, labels, split) {
  fs.mkdirSync(dir, { recursive: true });
  const [kernel, bias] = model.layers[model.layers.length - 1].getWeights();
  const f32 = (t) => Buffer.from(t.dataSync().buffer.slice(0));
  fs.writeFileSync(path.join(dir, 'input.bin'), f32(x));
  fs.writeFileSync(path.join(dir, 'labels.bin'), Buffer.from(labels.buffer));
  fs.writeFileSync(path.join(dir, 'head_kernel.bin'), f32(kernel));
  fs.writeFileSync(path.join(dir, 'head_bias.bin'), f32(bias));
  const meta = {
    from: opts.from,
    to: opts.to,
    split,
    size,
    batch,
    input_shape: x.shape,
    head_shape: kernel.shape,
    images: IMAGES,
    learning_rate: LEARNING_RATE,
  };
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
}

console.log(
  `training step: ${opts.from} .. ${opts.to} + GAP + Dense 10, ${size} px, batch ${batch}, BatchNorm ${opts.bn}, median of ${steps} steps after one warm-up`,
);
const results = [];
for (const [i, backend] of opts.backends.split(',').entries()) {
  const r = await measure(backend, i === 0 ? opts.dump : undefined);
  results.push(r);
  console.log(
    `${r.backend.padEnd(5)} ${r.ms_per_step.toFixed(0).padStart(6)} ms/step (min ${r.min_ms.toFixed(0)}; forward ${r.forward_ms.toFixed(0)}, backward ${r.backward_ms.toFixed(0)}, update ${r.update_ms.toFixed(0)}; CPU ${r.cpu_ms_per_step.toFixed(0)} ms), ` +
      `loss ${r.losses[0].toFixed(5)} -> ${r.losses[1].toFixed(5)} after one step, ${(r.params / 1e6).toFixed(2)}M trainable params, input [${r.input.slice(1).join(', ')}] (${r.split})`,
  );
  if (r.kernel_totals)
    console.log(`  in kernels: ${r.kernel_totals.kernel_ms_per_step} ms/step, ${r.kernel_totals.kernel_calls_per_step} kernel calls/step`);
  for (const k of r.kernels ?? []) {
    console.log(
      `  ${k.kernel.padEnd(36)} ${k.self_ms_per_step.toFixed(1).padStart(7)} ms self (${k.calls_per_step} calls) ${k.slowest_inputs[0] ?? ''}`,
    );
  }
}
if (opts.json)
  fs.writeFileSync(
    opts.json,
    JSON.stringify({ from: opts.from, to: opts.to, size, batch, steps, bn: opts.bn, learning_rate: LEARNING_RATE, results }, null, 2) +
      '\n',
  );
await close();
