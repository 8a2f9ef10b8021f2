// wasm's FusedConv2D for 1x1 convolutions in training: recorded for a gradient, a filter seen for
// the first time runs in our kernel, one seen before in XNNPACK; both must give the same bits, with
// and without bias, on shapes that leave partial blocks of rows and columns. Outside a gradient
// tape (inference) every filter stays with XNNPACK. (Under a tape TF.js fuses only a linear
// activation: a ReLU is then an op of its own.)
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { multiplyInto } from '../src/accel/kernels/shared-kernels.js';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';

// Counts the products our kernel computes, to see which route a convolution took.
vi.mock('../src/accel/kernels/shared-kernels.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/accel/kernels/shared-kernels.js')>();
  return { ...actual, multiplyInto: vi.fn(actual.multiplyInto) };
});

beforeAll(async () => {
  await selectBackend('wasm', silentLogger);
});

const values = (n: number, seed: number, scale = 1) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
};

function conv(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined): Float32Array {
  return tf.tidy(() => tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', bias }).dataSync() as Float32Array);
}

/**
 * What fn returns, computed while the engine records ops for a gradient. The gradient asked for does
 * not depend on fn's ops, so none of them is differentiated (no other product is computed).
 */
function underTape<T extends tf.Tensor>(fn: () => T): T {
  let result: T | undefined;
  tf.tidy(() =>
    tf.grad((z: tf.Tensor) => {
      result = tf.keep(fn());
      return z.mul(1);
    })(tf.scalar(1)),
  );
  return result as T;
}

function convTaped(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined): Float32Array {
  const y = underTape(() => tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', bias }));
  const values = y.dataSync() as Float32Array;
  y.dispose();
  return values;
}

describe('wasm FusedConv2D, 1x1', () => {
  const calls = () => vi.mocked(multiplyInto).mock.calls.length;

  it.each([
    [[8, 10, 10, 37], 45, true],
    [[16, 3, 3, 160], 960, true],
    [[3, 10, 10, 64], 100, false],
    [[5, 9, 9, 33], 129, true],
  ] as Array<[[number, number, number, number], number, boolean]>)(
    'x %j to %i channels (bias %s): our kernel and XNNPACK give the same bits',
    (xShape, outChannels, withBias) => {
      const inChannels = xShape[3];
      const x = tf.tensor4d(
        values(
          xShape.reduce((p, q) => p * q),
          1,
          8,
        ),
        xShape,
      );
      const filter = tf.tensor4d(values(inChannels * outChannels, 2), [1, 1, inChannels, outChannels]);
      const bias = withBias ? tf.tensor1d(values(outChannels, 3, 4)) : undefined;
      const before = calls();
      const inference = conv(x, filter, bias);
      expect(calls()).toBe(before);
      const ours = convTaped(x, filter, bias);
      expect(calls()).toBe(before + 1);
      const stock = convTaped(x, filter, bias);
      expect(calls()).toBe(before + 1);
      expect(Array.from(inference)).toEqual(Array.from(stock));
      expect(Array.from(ours)).toEqual(Array.from(stock));
      tf.dispose([x, filter, ...(bias ? [bias] : [])]);
    },
  );

  it('strided, padded or small convolutions stay with XNNPACK, in training too', () => {
    const x = tf.tensor4d(values(2 * 8 * 8 * 64, 4), [2, 8, 8, 64]);
    const taped = (filter: tf.Tensor4D, strides: number) => {
      const y = underTape(() => tf.fused.conv2d({ x, filter, strides, pad: 'same' }).sum());
      const sum = y.dataSync()[0];
      tf.dispose([y, filter]);
      return sum;
    };
    const before = calls();
    const sums = [
      taped(tf.tensor4d(values(64 * 300, 5), [1, 1, 64, 300]), 2),
      taped(tf.tensor4d(values(9 * 64 * 64, 6), [3, 3, 64, 64]), 1),
      taped(tf.tensor4d(values(64 * 8, 7), [1, 1, 64, 8]), 1),
    ];
    expect(calls()).toBe(before);
    expect(sums.every(Number.isFinite)).toBe(true);
    x.dispose();
  });

  it('gradients through a trained 1x1 convolution match the cpu backend', async () => {
    const xs = values(4 * 6 * 6 * 48, 8);
    const ws = values(48 * 200, 9, 0.2);
    const bs = values(200, 10);
    const grads = () =>
      tf.tidy(() => {
        const [x, w, b] = [tf.tensor4d(xs, [4, 6, 6, 48]), tf.tensor4d(ws, [1, 1, 48, 200]), tf.tensor1d(bs)];
        const f = (xx: tf.Tensor4D, ww: tf.Tensor4D, bb: tf.Tensor1D) =>
          tf.fused.conv2d({ x: xx, filter: ww, bias: bb, strides: 1, pad: 'valid', activation: 'relu6' }).square().sum();
        return tf
          .grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w, b])
          .map((g) => Array.from(g.dataSync()));
      });
    const before = calls();
    const onWasm = grads();
    expect(calls()).toBeGreaterThan(before);
    await tf.setBackend('cpu');
    const onCpu = grads();
    await tf.setBackend('wasm');
    onWasm.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - onCpu[i][j])).toBeLessThan(1e-3 * (1 + Math.abs(onCpu[i][j])))));
  });
});
