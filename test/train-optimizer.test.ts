// Our own optimizer steps: each rule checked against its first step computed by hand, decoupled
// weight decay, clipping by global norm, and that every optimizer actually trains a head.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { SpecSchema } from '../src/spec/schema.js';
import { trainHead } from '../src/train/loop.js';
import { ADAM, RMSPROP, clipByGlobalNorm, createOptimizer, globalNorm, type OptimizerConfig } from '../src/train/optimizer.js';
import { silentLogger } from '../src/util/log.js';
import { clusters } from './train-data.js';

beforeAll(async () => {
  await selectBackend('cpu', silentLogger);
});

const W0 = [1, -2, 3, 0.5];
const G = [0.5, -0.1, 0, 2];
const cfg = (optimizer: OptimizerConfig['optimizer'], extra: Partial<OptimizerConfig> = {}): OptimizerConfig => ({
  optimizer,
  weight_decay: 0,
  momentum: 0.9,
  nesterov: false,
  ...extra,
});

/** Runs `steps` updates with the same gradient on a 2x2 kernel; returns the weights after each. */
function run(c: OptimizerConfig, lr: number, steps: number, grad = G): number[][] {
  const v = tf.variable(tf.tensor2d(W0, [2, 2]));
  const opt = createOptimizer(c, [v]);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const g = tf.tensor2d(grad, [2, 2]);
    opt.step([g], lr);
    g.dispose();
    out.push(Array.from(v.dataSync()));
  }
  opt.dispose();
  v.dispose();
  return out;
}

const expectClose = (actual: number[], expected: number[]) => actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], 6));

describe('first steps match the update rules computed by hand', () => {
  it('adam moves each weight by lr * g / (|g| + eps) on its first step', () => {
    const [w1] = run(cfg('adam'), 0.1, 1);
    expectClose(
      w1,
      W0.map((w, i) => w - (0.1 * G[i]) / (Math.abs(G[i]) + ADAM.epsilon)),
    );
  });

  it('adam keeps that step size on the second step with the same gradient (bias correction)', () => {
    const [, w2] = run(cfg('adam'), 0.1, 2);
    expectClose(
      w2,
      W0.map((w, i) => w - (2 * 0.1 * G[i]) / (Math.abs(G[i]) + ADAM.epsilon)),
    );
  });

  it('sgd with momentum steps lr * g, then lr * (1 + momentum) * g', () => {
    const [w1, w2] = run(cfg('sgd'), 0.1, 2);
    expectClose(
      w1,
      W0.map((w, i) => w - 0.1 * G[i]),
    );
    expectClose(
      w2,
      W0.map((w, i) => w - 0.1 * G[i] - 0.1 * 1.9 * G[i]),
    );
  });

  it('nesterov sgd looks ahead: its first step is lr * (1 + momentum) * g', () => {
    const [w1] = run(cfg('sgd', { nesterov: true }), 0.1, 1);
    expectClose(
      w1,
      W0.map((w, i) => w - 0.1 * 1.9 * G[i]),
    );
  });

  it('sgd without momentum is plain gradient descent', () => {
    const [, w2] = run(cfg('sgd', { momentum: 0 }), 0.1, 2);
    expectClose(
      w2,
      W0.map((w, i) => w - 0.2 * G[i]),
    );
  });

  it('rmsprop divides by the root of the running mean square', () => {
    const [w1] = run(cfg('rmsprop'), 0.01, 1);
    const ms = (g: number) => (1 - RMSPROP.rho) * g * g;
    expectClose(
      w1,
      W0.map((w, i) => w - (0.01 * G[i]) / (Math.sqrt(ms(G[i])) + RMSPROP.epsilon)),
    );
  });

  it('takes the rate given to each step, so a schedule needs no new optimizer', () => {
    const v = tf.variable(tf.tensor1d([0]));
    const opt = createOptimizer(cfg('sgd', { momentum: 0 }), [v]);
    for (const lr of [0.1, 0.01, 0.001]) opt.step([tf.tensor1d([1])], lr);
    expect(v.dataSync()[0]).toBeCloseTo(-0.111, 6);
    opt.dispose();
  });
});

describe('decoupled weight decay', () => {
  it('adamw shrinks kernels by lr * weight_decay even where the gradient is zero', () => {
    const [w1] = run(cfg('adamw', { weight_decay: 0.01 }), 0.1, 1, [0, 0, 0, 0]);
    expectClose(
      w1,
      W0.map((w) => w * (1 - 0.1 * 0.01)),
    );
  });

  it('adam without weight decay leaves weights with zero gradient alone', () => {
    const [w1] = run(cfg('adam'), 0.1, 1, [0, 0, 0, 0]);
    expect(w1).toEqual(W0);
  });

  it('never decays biases', () => {
    const b = tf.variable(tf.tensor1d([1, 2]));
    const opt = createOptimizer(cfg('adamw', { weight_decay: 0.5 }), [b]);
    opt.step([tf.zeros([2])], 0.1);
    expect(Array.from(b.dataSync())).toEqual([1, 2]);
    opt.dispose();
  });
});

describe('gradient clipping by global norm', () => {
  it('scales all gradients together down to the clip norm', () => {
    const grads = [tf.tensor1d([3, 4]), tf.tensor1d([12])]; // global norm 13
    const clipped = clipByGlobalNorm(grads, 1);
    expect(globalNorm(clipped)).toBeCloseTo(1, 5);
    expectClose(Array.from(clipped[0].dataSync()), [3 / 13, 4 / 13]);
    expect(Array.from(clipByGlobalNorm(grads, 100)[1].dataSync())).toEqual([12]);
  });

  it('bounds the norm of an sgd update by lr * clip_norm', () => {
    const v = tf.variable(tf.zeros([4]));
    const opt = createOptimizer(cfg('sgd', { momentum: 0 }), [v]);
    opt.step(clipByGlobalNorm([tf.tensor1d([100, -200, 300, 50])], 2), 0.5);
    expect(globalNorm([v])).toBeCloseTo(1, 5);
    opt.dispose();
  });
});

describe('every optimizer trains a head on a separable problem', () => {
  const { train, val, labels } = clusters({ perClass: [60, 60, 60], valPerClass: 20, dim: 8, separation: 4, seed: 1 });
  const rates = { adam: 0.01, adamw: 0.01, sgd: 0.05, rmsprop: 0.01 } as const;
  for (const [optimizer, learning_rate] of Object.entries(rates)) {
    it(`${optimizer} lowers the loss and separates the classes`, async () => {
      const spec = SpecSchema.shape.train.parse({
        optimizer,
        learning_rate,
        epochs: 8,
        early_stopping: false,
        schedule: { type: 'constant' },
      });
      const r = await trainHead(train, val, { train: spec, head: { hidden: [16], dropout: 0 }, labels, seed: 7, log: silentLogger });
      const first = r.history[0];
      const last = r.history[r.history.length - 1];
      expect(last.loss).toBeLessThan(first.loss * 0.5);
      expect(last.val_accuracy).toBeGreaterThanOrEqual(0.95);
    });
  }
});
