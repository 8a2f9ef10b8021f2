// The folded inference graph (BatchNorm into the convolution before it, ReLU6 into its activation)
// gives the model's own outputs on the real MobileNetV2, whole and split, and leaves the model as is.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { readModelSource } from '../src/model/source.js';
import { buildBackbone } from '../src/model/backbone.js';
import { compile } from '../src/model/inference.js';
import { splitBase } from '../src/model/split.js';
import { silentLogger } from '../src/util/log.js';
import { EXAMPLE_MODEL_DIR, pooledFunctional } from './helpers/models.js';

async function mobilenet(cut: string) {
  const source = await readModelSource('mobilenet_v2', path.join(EXAMPLE_MODEL_DIR, 'model.json'));
  return buildBackbone(source, { cut, size: [64, 64], channels: 3 });
}

async function maxRelativeDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const diff = (await a.sub(b).abs().max().data())[0];
  const scale = (await b.abs().max().data())[0];
  return diff / Math.max(scale, 1e-12);
}

describe.each(['wasm', 'cpu'] as const)('folded inference on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend, silentLogger, process.cwd());
  });

  it('matches predict for the cut base, folding every convolution followed by a BatchNorm', async () => {
    const b = await mobilenet('block_13_expand_relu');
    const g = compile(b.model);
    // Conv1 .. block_13_expand: 13 blocks of 3 convolutions, less the first block's expansion, plus the stem.
    const convs = b.model.layers.filter((l) => /Conv2D$/.test(l.getClassName())).length;
    expect(g.folded).toBe(convs);
    const x = tf.randomUniform([4, 64, 64, 3], -1, 1, 'float32', 3);
    const want = b.model.predict(x) as tf.Tensor;
    const got = g.run(x);
    expect(got.shape).toEqual(want.shape);
    expect(await maxRelativeDiff(got, want)).toBeLessThan(1e-5);
    // The model's own weights are untouched: predict gives the same as before.
    const again = b.model.predict(x) as tf.Tensor;
    expect((await again.sub(want).abs().max().data())[0]).toBe(0);
    g.dispose();
  });

  it('matches predict for the lower part of a split base (cut at a BatchNorm, flattened output)', async () => {
    const b = await mobilenet('block_13_expand_relu');
    const s = splitBase(b, ['block_12_*']);
    const g = compile(s.lower);
    const x = tf.randomUniform([3, 64, 64, 3], -1, 1, 'float32', 9);
    expect(await maxRelativeDiff(g.run(x), s.lower.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
  });

  it('trainable: the upper part of a split base gives the gradients of the unfolded layers', async () => {
    const b = await mobilenet('block_13_expand_relu');
    const s = splitBase(b, ['block_12_*', 'block_13_*']);
    const g = compile(s.upper, { trainable: true });
    expect(g.folded).toBe(4);
    const x = tf.randomUniform([3, s.splitDim], -1, 1, 'float32', 4) as tf.Tensor2D;
    const loss = (run: (t: tf.Tensor) => tf.Tensor) => () => run(x).square().mean() as tf.Scalar;
    const want = tf.variableGrads(
      loss((t) => s.upper.apply(t, { training: false }) as tf.Tensor),
      s.variables,
    );
    const got = tf.variableGrads(
      loss((t) => g.run(t)),
      s.variables,
    );
    expect(Math.abs(got.value.dataSync()[0] - want.value.dataSync()[0]) / want.value.dataSync()[0]).toBeLessThan(1e-5);
    for (const v of s.variables) {
      expect(await maxRelativeDiff(got.grads[v.name], want.grads[v.name]), v.name).toBeLessThan(1e-4);
    }
    // Weights changed through the variables show at once: nothing was folded ahead of time.
    s.variables[0].assign(s.variables[0].mul(0.5));
    expect(await maxRelativeDiff(g.run(x), s.upper.apply(x, { training: false }) as tf.Tensor)).toBeLessThan(1e-5);
  });

  it('runs a model without BatchNorm layer by layer', async () => {
    const m = pooledFunctional();
    const g = compile(m);
    expect(g.folded).toBe(0);
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 1);
    expect(await maxRelativeDiff(g.run(x), m.predict(x) as tf.Tensor)).toBe(0);
  });
});
