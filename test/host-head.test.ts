// The head trained as arrays in our WebAssembly kernels (src/accel/host/): the kernels against
// float32 arithmetic done by hand, Adam bit for bit against the tensor optimizer, and whole steps
// against the tensor path for every optimizer and loss option.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { resolveTrainSettings } from '../src/train/settings.js';
import { featureStats, initHead, type Head } from '../src/train/head.js';
import { createKernels, instantiate, NO_BIAS } from '../src/accel/kernels/kernels.js';
import { float32Product } from './helpers/float32-product.js';
import { hostHeadSteps } from '../src/accel/host/step.js';
import { ADAM, createOptimizer, type OptimizerConfig } from '../src/train/optimizer.js';
import { createStepRunner, type StepRunner, type StepSettings } from '../src/train/step.js';
import { tensorSteps } from '../src/train/tensor-step.js';
import { headTrainee } from '../src/train/trainee.js';
import { SpecSchema } from '../src/spec/schema.js';
import { silentLogger } from '../src/util/log.js';
import { createRng, deriveSeed, permutation } from '../src/util/random.js';
import { clusters } from './train-data.js';
import { compileKernels, kernelsSource } from '../scripts/build-kernels.mjs';
import fs from 'node:fs';

beforeAll(async () => {
  await selectBackend('cpu', silentLogger);
});

const filled = (a: Float32Array, seed: number): Float32Array => {
  const rng = createRng(seed);
  for (let i = 0; i < a.length; i++) a[i] = rng() * 2 - 1;
  return a;
};

describe('kernels', () => {
  it('kernels-wasm.ts is the compiled kernels.wat', async () => {
    const committed = fs.readFileSync('src/accel/kernels/kernels-wasm.ts', 'utf8');
    expect(committed).toBe(kernelsSource(await compileKernels()));
  });

  // Shapes hit every block: 4-row blocks and leftover rows, 8-column blocks, 4-column and single columns.
  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [4, 9, 8],
    [7, 13, 21],
    [64, 576, 128],
    [64, 128, 10],
    [6, 1, 12],
  ])('gemm %i x %i x %i equals float32 arithmetic in order, stored or read transposed', (m, k, n) => {
    const ks = createKernels([m * k, k * n, m * n, k * m]);
    const [a, b, c, aT] = ks.arrays;
    filled(a, 1);
    filled(b, 2);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) aT[p * m + i] = a[i * k + p];
    const want = float32Product(a, b, m, k, n);
    ks.gemm(c, a, b, m, k, n);
    expect(Array.from(c)).toEqual(Array.from(want));
    c.fill(NaN);
    ks.gemm(c, aT, b, m, k, n, true);
    expect(Array.from(c)).toEqual(Array.from(want));
  });

  it('gemm traps on a left operand that is neither row-major nor transposed, rather than misread it', () => {
    const k = instantiate(1, 1);
    // Rows 16 bytes apart, columns 8: no layout the kernel reads.
    expect(() => k.gemm(0, 16, 8, 1024, 2048, 4, 2, 8, NO_BIAS)).toThrow(/unreachable/);
    expect(() => k.gemm(0, 8, 4, 1024, 2048, 4, 2, 8, NO_BIAS)).not.toThrow();
  });

  it('adam gives the tensor optimizer bit for bit, with and without weight decay', () => {
    for (const weight_decay of [0, 0.01]) {
      const cfg: OptimizerConfig = { optimizer: 'adamw', weight_decay, momentum: 0, nesterov: false };
      const n = 37;
      const ks = createKernels([n, n, n, n]);
      const [w, g, m, s] = ks.arrays;
      filled(w, 3);
      const v = tf.variable(tf.tensor1d(w.slice()).reshape([n, 1]));
      const opt = createOptimizer(cfg, [v]);
      for (let t = 1; t <= 4; t++) {
        filled(g, 10 + t);
        const lr = 0.01 * t;
        ks.adam(w, g, m, s, ADAM, t, lr, lr * weight_decay);
        const gt = tf.tensor2d(g.slice(), [n, 1]);
        opt.step([gt], lr);
        gt.dispose();
        expect(Array.from(w)).toEqual(Array.from(v.dataSync()));
      }
      opt.dispose();
      v.dispose();
    }
  });
});

describe('host steps against tensor steps', () => {
  const data = clusters({ perClass: [40, 30, 26], valPerClass: 5, dim: 12, separation: 2, seed: 9 });
  const labels = data.labels;

  function settingsFor(train: Record<string, unknown>): StepSettings['settings'] {
    const spec = SpecSchema.shape.train.parse({ epochs: 1, batch_size: 16, learning_rate: 0.01, early_stopping: false, ...train });
    return resolveTrainSettings(spec);
  }

  function newHead(hidden: number[]): Head {
    const norm = featureStats(data.train.x.data, data.train.x.rows, data.train.x.dim);
    return initHead({ inputDim: data.train.x.dim, hidden, numClasses: labels.length }, norm, 5);
  }

  /** Losses of each step and the final weights after two epochs' worth of steps. */
  async function run(runner: StepRunner, head: Head, batch: number): Promise<{ losses: number[]; weights: Float32Array[] }> {
    const losses: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      await runner.begin();
      const order = permutation(data.train.x.rows, createRng(deriveSeed(1, epoch)));
      for (let start = 0, step = 0; start < order.length; start += batch, step++) {
        losses.push(
          await runner.step(data.train, order.subarray(start, start + batch), 0.01 * (1 + step / 10), deriveSeed(2, epoch, step)),
        );
      }
      runner.end();
    }
    runner.dispose();
    return { losses, weights: head.layers.flatMap((l) => [l.kernel.dataSync() as Float32Array, l.bias.dataSync() as Float32Array]) };
  }

  const cases: Array<[string, Record<string, unknown>, number[], number]> = [
    ['adam, one hidden layer, dropout', { optimizer: 'adam' }, [16], 0.3],
    ['adamw with weight decay, two hidden layers', { optimizer: 'adamw', weight_decay: 0.05 }, [16, 8], 0.2],
    ['sgd with nesterov momentum, linear head', { optimizer: 'sgd', momentum: 0.9, nesterov: true }, [], 0],
    ['rmsprop, label smoothing and class weights', { optimizer: 'rmsprop', label_smoothing: 0.1, class_weights: 'balanced' }, [16], 0.1],
    ['adam with clipping by global norm', { optimizer: 'adam', clip_norm: 0.05 }, [16], 0.2],
  ];

  it.each(cases)('%s: same losses and weights up to float rounding', async (_name, train, hidden, dropout) => {
    const settings = settingsFor(train);
    const classWeights = settings.class_weights ? Float32Array.from([1.1, 0.8, 1.3]) : undefined;
    const s: StepSettings = { settings, dropout, classWeights };
    const hostHead = newHead(hidden);
    const tensorHead = newHead(hidden);
    const host = await run(hostHeadSteps(hostHead, s), hostHead, settings.batch_size);
    const tensor = await run(tensorSteps(headTrainee(tensorHead), s), tensorHead, settings.batch_size);
    expect(host.losses.length).toBe(12);
    host.losses.forEach((l, i) => expect(l).toBeCloseTo(tensor.losses[i], 5));
    // The weights moved, and moved alike.
    expect(host.weights[0].some((w, i) => w !== newHead(hidden).layers[0].kernel.dataSync()[i])).toBe(true);
    host.weights.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - tensor.weights[i][j])).toBeLessThan(1e-4)));
  });

  it('the optimizer state has the tensor optimizer layout, so a checkpoint fits either', async () => {
    const settings = settingsFor({ optimizer: 'adam' });
    const s: StepSettings = { settings, dropout: 0 };
    const [h1, h2] = [newHead([16]), newHead([16])];
    const host = hostHeadSteps(h1, s);
    const tensor = tensorSteps(headTrainee(h2), s);
    for (const r of [host, tensor]) {
      await r.begin();
      await r.step(
        data.train,
        Int32Array.from({ length: 16 }, (_, i) => i * 5),
        0.01,
        3,
      );
      r.end();
    }
    const [a, b] = [await host.optimizer.getState(), await tensor.optimizer.getState()];
    expect(a.step).toBe(1);
    expect(a.slots.map((x) => x.length)).toEqual(b.slots.map((x) => x.length));
    a.slots.forEach((slot, i) => slot.forEach((v, j) => expect(v).toBeCloseTo(b.slots[i][j], 6)));
    // Put back into a fresh runner, the next step matches the runner it came from.
    const again = hostHeadSteps(h1, s);
    again.optimizer.setState(a);
    const rows = Int32Array.from({ length: 16 }, (_, i) => i * 3 + 1);
    for (const r of [host, again]) await r.begin();
    expect(await again.step(data.train, rows, 0.01, 4)).toBe(await host.step(data.train, rows, 0.01, 4));
    host.dispose();
    again.dispose();
    tensor.dispose();
  });

  it('a head on the cpu or wasm backend trains as arrays; a trainee with base layers as tensors', () => {
    const head = newHead([8]);
    const settings = settingsFor({});
    const headRunner = createStepRunner(headTrainee(head), { settings, dropout: 0 });
    const { head: _dropped, ...withoutHead } = headTrainee(head);
    const tensorRunner = createStepRunner(withoutHead, { settings, dropout: 0 });
    // The host runner keeps its own copy, so its begin() is what makes the variables' values its own.
    expect(headRunner.begin).not.toBe(tensorRunner.begin);
    expect(headRunner.optimizer).not.toHaveProperty('step');
    expect(tensorRunner.optimizer).toHaveProperty('step');
    headRunner.dispose();
    tensorRunner.dispose();
  });
});
