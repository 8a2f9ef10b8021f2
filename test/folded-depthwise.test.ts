// The folded depthwise convolution with its own gradient gives the values of the ops it replaces
// (the fold as ops, the convolution, the activation) to the bit, and their gradients in every
// input, on the cpu backend and on wasm.
import { beforeEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { registerWasmGradKernels } from './helpers/wasm-kernels.js';
import { foldedDepthwise } from '../src/accel/fold/folded-depthwise.js';
import type { DepthwiseGeometry } from '../src/accel/index.js';
import type { FoldActivation, FoldWeights } from '../src/accel/fold/folded-pointwise.js';
import { silentLogger } from '../src/util/log.js';
import { expectInputGradientSkipped, expectTapeGradients, uniform } from './helpers/fold-checks.js';

const [N, H, W, C] = [3, 7, 7, 24];
const EPS = 1e-3;

function inputs(withBias: boolean) {
  return {
    x: uniform([N, H, W, C], 1, -2, 2) as tf.Tensor4D,
    kernel: uniform([3, 3, C, 1], 2, -0.5, 0.5),
    bias: withBias ? uniform([C], 3, -0.2, 0.2) : undefined,
    gamma: uniform([C], 4, 0.5, 1.5),
    beta: uniform([C], 5, -0.3, 0.3),
    mean: uniform([C], 6, -0.2, 0.2),
    variance: uniform([C], 7, 0.1, 2),
  };
}

/** The fold as plain ops, as the tape differentiates it (inference.ts before the op of its own). */
function reference(x: tf.Tensor4D, w: FoldWeights, activation: FoldActivation, g: DepthwiseGeometry): tf.Tensor {
  let s = tf.rsqrt(w.variance.add(w.epsilon));
  if (w.gamma) s = s.mul(w.gamma);
  const filter = w.kernel.mul(s.reshape([C, 1])) as tf.Tensor4D;
  let shift = (w.bias ? w.bias.sub(w.mean) : w.mean.neg()).mul(s);
  if (w.beta) shift = shift.add(w.beta);
  const y = tf.fused.depthwiseConv2d({ x, filter, strides: g.strides, pad: g.pad as 'valid', dilations: g.dilations, bias: shift });
  return activation === 'relu6' ? tf.clipByValue(y, 0, 6) : activation === 'relu' ? tf.relu(y) : y;
}

const SAME_1: DepthwiseGeometry = { strides: [1, 1], pad: 'same', dilations: [1, 1] };
const SAME_2: DepthwiseGeometry = { strides: [2, 2], pad: 'same', dilations: [1, 1] };
const VALID_2: DepthwiseGeometry = { strides: [2, 2], pad: 'valid', dilations: [1, 1] };

describe.each(['cpu', 'wasm'] as const)('foldedDepthwise on %s', (backend) => {
  beforeEach(async () => {
    await selectBackend(backend, silentLogger);
    registerWasmGradKernels();
  });

  it.each([
    ['relu6', false, SAME_1],
    ['relu6', false, SAME_2],
    ['linear', true, VALID_2],
    ['relu', false, SAME_1],
  ] as const)('%s (conv bias %s, %o): the same values, and the gradients of the ops it replaces', (activation, withBias, geometry) => {
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
    const out = reference(t.x, weights(t.kernel, t.bias, t.gamma, t.beta), activation, geometry);
    // A loss that weighs every output differently, so that each gradient entry is checked.
    const weighting = uniform(out.shape, 8, -1, 1);
    const loss =
      (f: (x: tf.Tensor4D, w: FoldWeights) => tf.Tensor) => (x: tf.Tensor, k: tf.Tensor, g: tf.Tensor, be: tf.Tensor, b?: tf.Tensor) =>
        f(x as tf.Tensor4D, weights(k, b, g, be))
          .mul(weighting)
          .sum();
    const args = [t.x, t.kernel, t.gamma, t.beta, ...(t.bias ? [t.bias] : [])];
    const ours = tf.grads(loss((x, w) => foldedDepthwise(x, w, activation, true, geometry)))(args);
    const theirs = tf.grads(loss((x, w) => reference(x, w, activation, geometry)))(args);
    expect(Array.from(foldedDepthwise(t.x, weights(t.kernel, t.bias, t.gamma, t.beta), activation, true, geometry).dataSync())).toEqual(
      Array.from(out.dataSync()),
    );
    expectTapeGradients(ours, theirs);
  });

  it('without an input gradient, x gets zeros and every weight the same gradient', () => {
    const t = inputs(false);
    const f = (inputGradient: boolean) => (x: tf.Tensor, k: tf.Tensor, g: tf.Tensor, be: tf.Tensor) =>
      foldedDepthwise(
        x as tf.Tensor4D,
        { kernel: k, gamma: g, beta: be, mean: t.mean, variance: t.variance, epsilon: EPS },
        'relu6',
        inputGradient,
        SAME_1,
      ).sum();
    expectInputGradientSkipped(f, [t.x, t.kernel, t.gamma, t.beta]);
  });
});
