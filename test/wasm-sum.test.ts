// wasm's Sum over a run of axes that are not the innermost (bias, BatchNorm and depthwise filter
// gradients) sums down columns in our kernel; it must give the stock kernel's bits, which the
// stock kernel still computes for a transposed copy summed along its last axis.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';

beforeAll(async () => {
  await selectBackend('wasm', silentLogger);
});

const values = (n: number, seed: number) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * 10 ** Math.floor(rng() * 6 - 3));
};

describe('wasm Sum over axes that are not innermost', () => {
  it.each([
    [
      [16, 3, 3, 960],
      [0, 1, 2],
    ],
    [[7, 5, 11], [0]],
    [
      [7, 5, 11],
      [1, 0],
    ],
    [
      [4, 6, 5, 3],
      [0, 1],
    ],
    [[9, 16, 61], [1]],
    [
      [3, 4, 5, 6, 7],
      [1, 2],
    ],
    [
      [1, 1, 160, 30],
      [0, 1, 2],
    ],
  ] as Array<[number[], number[]]>)('%j over axes %j: the same bits as summing a transposed copy along its last axis', (shape, axes) => {
    const x = tf.tensor(
      values(
        shape.reduce((p, q) => p * q),
        shape.length,
      ),
      shape,
    );
    const got = tf.sum(x, axes);
    const sorted = [...axes].sort();
    const keptAxes = shape.map((_, i) => i).filter((i) => !sorted.includes(i));
    const kept = keptAxes.map((i) => shape[i]);
    // The stock kernel's own way: the reduced axes made innermost, then summed along the last one.
    const moved = tf.transpose(x, [...keptAxes, ...sorted]);
    const reference = tf.sum(moved.reshape([kept.reduce((p, q) => p * q, 1), -1]), 1).reshape(kept);
    expect(got.shape).toEqual(kept);
    expect(Array.from(got.dataSync())).toEqual(Array.from(reference.dataSync()));
    const kept1 = tf.sum(x, axes, true);
    expect(kept1.shape).toEqual(shape.map((d, i) => (sorted.includes(i) ? 1 : d)));
    expect(Array.from(kept1.dataSync())).toEqual(Array.from(got.dataSync()));
    tf.dispose([x, got, moved, reference, kept1]);
  });

  it.each([
    [
      [16, 3, 3, 96],
      [0, 1, 2],
    ],
    [
      [16, 3, 3, 1280],
      [1, 2],
    ],
    [[7, 13, 5], [0]],
  ] as Array<[number[], number[]]>)('the mean of %j over axes %j has the bits of the stock mean of a transposed copy', (shape, axes) => {
    const x = tf.tensor(
      values(
        shape.reduce((p, q) => p * q),
        5,
      ),
      shape,
    );
    const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const kept = keptAxes.map((i) => shape[i]);
    const got = tf.mean(x, axes);
    const moved = tf.transpose(x, [...keptAxes, ...axes]);
    const reference = tf.mean(moved.reshape([kept.reduce((p, q) => p * q, 1), -1]), 1).reshape(kept);
    expect(got.shape).toEqual(kept);
    expect(Array.from(got.dataSync())).toEqual(Array.from(reference.dataSync()));
    tf.dispose([x, got, moved, reference]);
  });

  it('each output is the float32 sum of its column, in row order', () => {
    const [rows, columns] = [50, 13];
    const data = values(rows * columns, 9);
    const got = tf.tidy(() => tf.sum(tf.tensor2d(data, [rows, columns]), 0).dataSync());
    for (let c = 0; c < columns; c++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum = Math.fround(sum + data[r * columns + c]);
      expect(got[c]).toBe(sum);
    }
  });

  it('a column holding -0 only sums to +0, as a sum from zero does', () => {
    const got = tf.tidy(() => tf.sum(tf.tensor2d([-0, 1, -0, 2], [2, 2]), 0).dataSync());
    expect(Object.is(got[0], 0)).toBe(true);
    expect(got[1]).toBe(3);
  });

  it('other reductions (inner axes, all axes, axes apart, int32) still work', () => {
    const x = tf.tensor3d(values(24, 3), [2, 3, 4]);
    expect(tf.sum(x, 2).shape).toEqual([2, 3]);
    expect(tf.sum(x, [0, 2]).shape).toEqual([3]);
    expect(Array.from(tf.sum(x, [0, 2]).dataSync())).toEqual(Array.from(tf.sum(tf.transpose(x, [1, 0, 2]).reshape([3, 8]), 1).dataSync()));
    expect(tf.sum(x).shape).toEqual([]);
    expect(Array.from(tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0).dataSync())).toEqual([4, 6]);
    x.dispose();
  });
});
