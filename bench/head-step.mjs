#!/usr/bin/env node
// Time of one training step of the head alone (576 -> 128 -> 10, ReLU, dropout 0.2, softmax
// cross-entropy, Adam, batch 64: the head of `npm run bench`'s job), on the wasm backend, both ways
// finetune-action can take it: as arrays in our own WebAssembly kernels (src/accel/host/, what wasm
// and cpu use) and as TF.js ops (src/train/tensor-step.ts, what the other backends use). The two
// alternate in one process, from the same initial weights and batches, and the losses of their
// first steps are compared. Seeded Gaussian features stand in for real ones: the arithmetic does
// not depend on the values.
//   node bench/head-step.mjs [--steps 300] [--rounds 3] [--json FILE]
// The TypeScript sources are loaded through vite (a dev dependency).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { sourceLoader } from './lib/sources.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HEAD = { rows: 9000, dim: 576, hidden: 128, classes: 10, batch: 64, dropout: 0.2, learning_rate: 0.001 };
const COMPARED_STEPS = 20;

const { values: opts } = parseArgs({
  options: { steps: { type: 'string', default: '300' }, rounds: { type: 'string', default: '3' }, json: { type: 'string' } },
});
const steps = Number(opts.steps);
const rounds = Number(opts.rounds);

const { load, close } = await sourceLoader(ROOT);
const { selectBackend } = await load('/src/backend/select.ts');
const { silentLogger } = await load('/src/util/log.ts');
const { featureStats, initHead, disposeHead } = await load('/src/train/head.ts');
const { headTrainee } = await load('/src/train/trainee.ts');
const { hostHeadSteps } = await load('/src/accel/host/step.ts');
const { tensorSteps } = await load('/src/train/tensor-step.ts');
const { resolveTrainSettings } = await load('/src/train/settings.ts');
const { SpecSchema } = await load('/src/spec/schema.ts');
const { createRng, deriveSeed, permutation } = await load('/src/util/random.ts');

const backend = await selectBackend('wasm', silentLogger);
const data = features();
const norm = featureStats(data.x.data, data.x.rows, data.x.dim);
const settings = resolveTrainSettings(
  SpecSchema.shape.train.parse({ batch_size: HEAD.batch, optimizer: 'adam', learning_rate: HEAD.learning_rate, early_stopping: false }),
);
const ways = { arrays: hostHeadSteps, tensors: (head, s) => tensorSteps(headTrainee(head), s) };

/** `count` steps from a fresh head (same seed every time); ms per step after `warmup`, and the losses. */
async function run(way, count, warmup) {
  const head = initHead({ inputDim: HEAD.dim, hidden: [HEAD.hidden], numClasses: HEAD.classes }, norm, 42);
  const runner = ways[way](head, { settings, dropout: HEAD.dropout });
  const order = permutation(data.x.rows, createRng(7));
  const losses = [];
  await runner.begin();
  let started = 0;
  for (let i = 0; i < warmup + count; i++) {
    if (i === warmup) started = performance.now();
    const start = (i * HEAD.batch) % (data.x.rows - HEAD.batch);
    losses.push(await runner.step(data, order.subarray(start, start + HEAD.batch), HEAD.learning_rate, deriveSeed(3, i)));
  }
  const ms = (performance.now() - started) / count;
  runner.end();
  runner.dispose();
  disposeHead(head);
  return { ms, losses };
}

const result = { backend: backend.name, head: HEAD, steps, rounds, arrays_ms: [], tensors_ms: [] };
for (let r = 0; r < rounds; r++) {
  for (const way of ['tensors', 'arrays']) {
    const { ms } = await run(way, steps, 30);
    result[`${way}_ms`].push(+ms.toFixed(3));
  }
  console.log(`round ${r + 1}: arrays ${result.arrays_ms.at(-1)} ms, tensors ${result.tensors_ms.at(-1)} ms per step`);
}
const [a, t] = [await run('arrays', COMPARED_STEPS, 0), await run('tensors', COMPARED_STEPS, 0)];
result.losses = {
  arrays: a.losses.slice(0, 2),
  tensors: t.losses.slice(0, 2),
  max_abs_diff: Math.max(...a.losses.map((l, i) => Math.abs(l - t.losses[i]))),
  steps_compared: COMPARED_STEPS,
};
console.log(`losses of the first ${COMPARED_STEPS} steps differ by at most ${result.losses.max_abs_diff.toExponential(1)}`);
if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(result, null, 2) + '\n');
await close();

function features() {
  const rng = createRng(11);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const x = new Float32Array(HEAD.rows * HEAD.dim);
  for (let i = 0; i < x.length; i++) x[i] = Math.max(0, normal() + 0.5);
  return {
    x: { rows: HEAD.rows, dim: HEAD.dim, data: x },
    y: Int32Array.from({ length: HEAD.rows }, () => Math.floor(rng() * HEAD.classes)),
  };
}
