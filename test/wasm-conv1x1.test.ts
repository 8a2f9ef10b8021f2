// wasm's FusedConv2D for 1x1 convolutions in training: a filter seen for the first time runs in our
// kernel, one seen before in XNNPACK; both must give the same bits, with and without bias, for
// each clamp, on shapes that leave partial blocks of rows and columns.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { multiplyInto } from '../src/kernels/kernels.js';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';

// Counts the products our kernel computes, to see which route a convolution took.
vi.mock('../src/kernels/kernels.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/kernels/kernels.js')>();
  return { ...actual, multiplyInto: vi.fn(actual.multiplyInto) };
});

beforeAll(async () => {
  await selectBackend('wasm', silentLogger);
});

const values = (n: number, seed: number, scale = 1) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
};

type Activation = 'linear' | 'relu' | 'relu6';

function conv(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined, activation: Activation): Float32Array {
  return tf.tidy(() => tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', bias, activation }).dataSync() as Float32Array);
}

describe('wasm FusedConv2D, 1x1', () => {
  const calls = () => vi.mocked(multiplyInto).mock.calls.length;

  it.each([
    [[8, 10, 10, 37], 45, true, 'linear'],
    [[16, 3, 3, 160], 960, true, 'relu6'],
    [[3, 10, 10, 64], 100, false, 'relu'],
    [[5, 9, 9, 33], 129, true, 'relu'],
  ] as Array<[[number, number, number, number], number, boolean, Activation]>)('x %j to %i channels (bias %s, %s): our kernel and XNNPACK give the same bits', (xShape, outChannels, withBias, activation) => {
    const inChannels = xShape[3];
    const x = tf.tensor4d(values(xShape.reduce((p, q) => p * q), 1, 8), xShape);
    const filter = tf.tensor4d(values(inChannels * outChannels, 2), [1, 1, inChannels, outChannels]);
    const bias = withBias ? tf.tensor1d(values(outChannels, 3, 4)) : undefined;
    const before = calls();
    const ours = conv(x, filter, bias, activation);
    expect(calls()).toBe(before + 1);
    const stock = conv(x, filter, bias, activation);
    expect(calls()).toBe(before + 1);
    expect(Array.from(ours)).toEqual(Array.from(stock));
    const [low, high] = ours.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
    if (activation === 'relu6') expect(high).toBe(6);
    if (activation === 'linear') expect(low).toBeLessThan(0);
    else expect(low).toBe(0);
    tf.dispose([x, filter, ...(bias ? [bias] : [])]);
  });

  it('strided, padded or small convolutions stay with XNNPACK', () => {
    const x = tf.tensor4d(values(2 * 8 * 8 * 64, 4), [2, 8, 8, 64]);
    const before = calls();
    const strided = tf.tidy(() => tf.fused.conv2d({ x, filter: tf.tensor4d(values(64 * 300, 5), [1, 1, 64, 300]), strides: 2, pad: 'same' }));
    const threeByThree = tf.tidy(() => tf.fused.conv2d({ x, filter: tf.tensor4d(values(9 * 64 * 64, 6), [3, 3, 64, 64]), strides: 1, pad: 'same' }));
    const small = tf.tidy(() => tf.fused.conv2d({ x, filter: tf.tensor4d(values(64 * 8, 7), [1, 1, 64, 8]), strides: 1, pad: 'same' }));
    expect(calls()).toBe(before);
    expect(strided.shape).toEqual([2, 4, 4, 300]);
    tf.dispose([x, strided, threeByThree, small]);
  });

  it('gradients through a trained 1x1 convolution match the cpu backend', async () => {
    const xs = values(4 * 6 * 6 * 48, 8);
    const ws = values(48 * 200, 9, 0.2);
    const bs = values(200, 10);
    const grads = () =>
      tf.tidy(() => {
        const [x, w, b] = [tf.tensor4d(xs, [4, 6, 6, 48]), tf.tensor4d(ws, [1, 1, 48, 200]), tf.tensor1d(bs)];
        const f = (xx: tf.Tensor4D, ww: tf.Tensor4D, bb: tf.Tensor1D) => tf.fused.conv2d({ x: xx, filter: ww, bias: bb, strides: 1, pad: 'valid', activation: 'relu6' }).square().sum();
        return tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w, b]).map((g) => Array.from(g.dataSync()));
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
