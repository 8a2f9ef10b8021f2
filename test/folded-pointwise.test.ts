// The folded 1x1 convolution with its own gradient gives the values of the ops it replaces (the
// fold as ops, the convolution, the activation) to the bit, and their gradients in every input,
// on the cpu backend and on wasm.
import { beforeEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { registerWasmGradKernels } from './helpers/wasm-kernels.js';
import { foldedPointwise, type FoldWeights, type FoldActivation } from '../src/accel/fold/folded-pointwise.js';
import { silentLogger } from '../src/util/log.js';
import { expectInputGradientSkipped, expectTapeGradients, uniform } from './helpers/fold-checks.js';

const [N, H, W, CIN, COUT] = [4, 3, 3, 24, 40];
const EPS = 1e-3;

function inputs(withBias: boolean) {
  return {
    x: uniform([N, H, W, CIN], 1, -2, 2) as tf.Tensor4D,
    kernel: uniform([1, 1, CIN, COUT], 2, -0.5, 0.5),
    bias: withBias ? uniform([COUT], 3, -0.2, 0.2) : undefined,
    gamma: uniform([COUT], 4, 0.5, 1.5),
    beta: uniform([COUT], 5, -0.3, 0.3),
    mean: uniform([COUT], 6, -0.2, 0.2),
    variance: uniform([COUT], 7, 0.1, 2),
  };
}

/** The fold as plain ops, as the tape differentiates it (inference.ts before the op of its own). */
function reference(x: tf.Tensor4D, w: FoldWeights, activation: FoldActivation): tf.Tensor {
  let s = tf.rsqrt(w.variance.add(w.epsilon));
  if (w.gamma) s = s.mul(w.gamma);
  const filter = w.kernel.mul(s) as tf.Tensor4D;
  let shift = (w.bias ? w.bias.sub(w.mean) : w.mean.neg()).mul(s);
  if (w.beta) shift = shift.add(w.beta);
  const y = tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', bias: shift });
  return activation === 'relu6' ? tf.clipByValue(y, 0, 6) : activation === 'relu' ? tf.relu(y) : y;
}

describe.each(['cpu', 'wasm'] as const)('foldedPointwise on %s', (backend) => {
  beforeEach(async () => {
    await selectBackend(backend, silentLogger);
    registerWasmGradKernels();
  });

  it.each([
    ['relu6', false],
    ['linear', true],
    ['relu', false],
  ] as const)('%s (conv bias %s): the same values, and the gradients of the ops it replaces', (activation, withBias) => {
    const t = inputs(withBias);
    const weights = (k: tf.Tensor, b: tf.Tensor | undefined, g: tf.Tensor, be: tf.Tensor): FoldWeights => ({
      kernel: k,
      bias: b,
      gamma: g,
      beta: be,
      mean: t.mean,
      variance: t.variance,
      epsilon: EPS,
    });
    // A loss that weighs every output differently, so that each gradient entry is checked.
    const weighting = uniform([N, H, W, COUT], 8, -1, 1);
    const loss =
      (f: (x: tf.Tensor4D, w: FoldWeights) => tf.Tensor) => (x: tf.Tensor, k: tf.Tensor, g: tf.Tensor, be: tf.Tensor, b?: tf.Tensor) =>
        f(x as tf.Tensor4D, weights(k, b, g, be))
          .mul(weighting)
          .sum();
    const args = [t.x, t.kernel, t.gamma, t.beta, ...(t.bias ? [t.bias] : [])];
    const ours = tf.grads(loss((x, w) => foldedPointwise(x, w, activation, true)))(args);
    const theirs = tf.grads(loss((x, w) => reference(x, w, activation)))(args);
    expect(Array.from(foldedPointwise(t.x, weights(t.kernel, t.bias, t.gamma, t.beta), activation, true).dataSync())).toEqual(
      Array.from(reference(t.x, weights(t.kernel, t.bias, t.gamma, t.beta), activation).dataSync()),
    );
    expectTapeGradients(ours, theirs);
  });

  it('without an input gradient, x gets zeros and every weight the same gradient', () => {
    const t = inputs(false);
    const f = (inputGradient: boolean) => (x: tf.Tensor, k: tf.Tensor, g: tf.Tensor, be: tf.Tensor) =>
      foldedPointwise(
        x as tf.Tensor4D,
        { kernel: k, gamma: g, beta: be, mean: t.mean, variance: t.variance, epsilon: EPS },
        'relu6',
        inputGradient,
      ).sum();
    expectInputGradientSkipped(f, [t.x, t.kernel, t.gamma, t.beta]);
  });
});
