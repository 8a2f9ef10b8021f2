// Adam for tensor variables in our kernels (phase two on wasm and cpu) gives the tensor optimizer's
// weights to the bit, step after step, and a checkpoint of either fits the other.
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { createVariableOptimizer, runsOnKernels } from '../src/accel/host/variable-optimizer.js';
import { createOptimizer, type OptimizerConfig } from '../src/train/optimizer.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';
import { createKernels } from '../src/accel/kernels/kernels.js';
import { createHostOptimizer } from '../src/accel/host/optimizer.js';

// Lengths that are not whole vectors of 4 too (45, 10): the kernel must stop at each array's end.
const SHAPES = [[3, 3, 8, 1], [1, 1, 8, 24], [24], [24, 10], [3, 3, 5, 1], [10]];

const tensorOf = (shape: number[], seed: number) => {
  const rng = createRng(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1),
    shape,
  );
};

/** The weights after each of `steps` updates with seeded gradients and a changing rate. */
async function trajectory(
  make: (vars: tf.Variable[]) => ReturnType<typeof createOptimizer>,
  steps: number,
): Promise<{ weights: number[][][]; state: Awaited<ReturnType<ReturnType<typeof createOptimizer>['getState']>> }> {
  const vars = SHAPES.map((s, i) => tf.variable(tensorOf(s, i + 1)));
  const opt = make(vars);
  const weights: number[][][] = [];
  for (let t = 0; t < steps; t++) {
    const grads = SHAPES.map((s, i) => tensorOf(s, 100 * t + i));
    opt.step(grads, 0.01 / (1 + t));
    tf.dispose(grads);
    weights.push(vars.map((v) => Array.from(v.dataSync())));
  }
  const state = await opt.getState();
  opt.dispose();
  tf.dispose(vars);
  return { weights, state };
}

describe.each(['cpu', 'wasm'] as const)('Adam on our kernels, %s backend', (backend) => {
  it.each([
    ['adam', 0],
    ['adamw', 0.01],
  ] as const)('%s (weight decay %s) gives the tensor optimizer to the bit, and the same state', async (optimizer, weight_decay) => {
    await selectBackend(backend, silentLogger);
    const cfg: OptimizerConfig = { optimizer, weight_decay, momentum: 0, nesterov: false };
    expect(runsOnKernels(cfg)).toBe(true);
    const ours = await trajectory((vars) => createVariableOptimizer(cfg, vars), 5);
    const theirs = await trajectory((vars) => createOptimizer(cfg, vars), 5);
    expect(ours.weights).toEqual(theirs.weights);
    expect(ours.state.step).toBe(5);
    expect(ours.state.slots.map((s) => Array.from(s))).toEqual(theirs.state.slots.map((s) => Array.from(s)));
  });
});

it('SGD and RMSprop stay tensor ops', () => {
  for (const optimizer of ['sgd', 'rmsprop'] as const)
    expect(runsOnKernels({ optimizer, weight_decay: 0, momentum: 0.9, nesterov: false })).toBe(false);
});

describe.each(['cpu', 'wasm'] as const)('Adam on our kernels, %s backend, from a checkpoint', (backend) => {
  it('a new optimizer given the state after 3 steps continues as the first one did', async () => {
    await selectBackend(backend, silentLogger);
    const cfg: OptimizerConfig = { optimizer: 'adam', weight_decay: 0, momentum: 0, nesterov: false };
    const gradsAt = (t: number) => SHAPES.map((s, i) => tensorOf(s, 100 * t + i));
    const run = async (resumeAt?: number) => {
      const vars = SHAPES.map((s, i) => tf.variable(tensorOf(s, i + 1)));
      let opt = createVariableOptimizer(cfg, vars);
      for (let t = 0; t < 5; t++) {
        if (t === resumeAt) {
          const [state, weights] = [await opt.getState(), vars.map((v) => v.dataSync().slice())];
          opt.dispose();
          // As resume.ts does: the weights assigned from the checkpoint, a new optimizer given its state.
          tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
          opt = createVariableOptimizer(cfg, vars);
          opt.setState(state);
        }
        const grads = gradsAt(t);
        opt.step(grads, 0.01);
        tf.dispose(grads);
      }
      const out = vars.map((v) => Array.from(v.dataSync()));
      opt.dispose();
      tf.dispose(vars);
      return out;
    };
    expect(await run(3)).toEqual(await run());
  });
});

it('on wasm, a product by an updated variable uses its new values (XNNPACK repacks new data)', async () => {
  await selectBackend('wasm', silentLogger);
  const v = tf.variable(tensorOf([64, 32], 7));
  const x = tensorOf([8, 64], 8);
  const opt = createVariableOptimizer({ optimizer: 'adam', weight_decay: 0, momentum: 0, nesterov: false }, [v]);
  const before = tf.matMul(x, v); // XNNPACK packs v's values here
  const g = tensorOf([64, 32], 9);
  opt.step([g], 0.1);
  const after = tf.matMul(x, v);
  const fresh = tf.matMul(x, tf.tensor(v.dataSync(), v.shape));
  expect(Array.from(after.dataSync())).toEqual(Array.from(fresh.dataSync()));
  expect(Array.from(after.dataSync())).not.toEqual(Array.from(before.dataSync()));
  opt.dispose();
  tf.dispose([v, x, before, g, after, fresh]);
});

/** The same trajectory as `trajectory`, with the optimizer's rule on plain arrays (as a head trains in our kernels' memory). */
function hostTrajectory(cfg: OptimizerConfig, steps: number): number[][][] {
  const sizes = SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
  const kernels = createKernels([...sizes, ...sizes]);
  const weights = SHAPES.map((s, i) => Float32Array.from(tensorOf(s, i + 1).dataSync()));
  const slots = kernels.arrays.slice(0, sizes.length).map((a) => [a]);
  const host = createHostOptimizer(
    cfg,
    kernels,
    slots,
    SHAPES.map((s) => s.length > 1),
  );
  const out: number[][][] = [];
  for (let t = 0; t < steps; t++) {
    const grads = SHAPES.map((s, i) => Float32Array.from(tensorOf(s, 100 * t + i).dataSync()));
    host.apply(weights, grads, 0.01 / (1 + t));
    out.push(weights.map((w) => Array.from(w)));
  }
  return out;
}

describe.each(['cpu', 'wasm'] as const)('SGD and RMSprop on arrays (float32 per operation), %s backend', (backend) => {
  it.each([
    ['sgd', 0, 0, false],
    ['sgd', 0.9, 0, false],
    ['sgd', 0.9, 0.01, true],
    ['rmsprop', 0, 0, false],
    ['rmsprop', 0, 0.01, false],
  ] as const)(
    '%s (momentum %s, weight decay %s, nesterov %s) gives the tensor optimizer to the bit for 5 steps',
    async (optimizer, momentum, weight_decay, nesterov) => {
      await selectBackend(backend, silentLogger);
      const cfg: OptimizerConfig = { optimizer, weight_decay, momentum, nesterov };
      const tensor = await trajectory((vars) => createOptimizer(cfg, vars), 5);
      const host = hostTrajectory(cfg, 5);
      expect(host).toEqual(tensor.weights);
      // The weights moved: the comparison is not between two copies of the start.
      expect(host[4][0]).not.toEqual(host[0][0]);
    },
  );
});
