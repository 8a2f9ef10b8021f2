// wasm's BatchMatMul as training uses it: large products without a batch run in our own kernel
// (float32 sums in order, so exactly the arithmetic written out below), whatever the transposes;
// small and batched ones stay with XNNPACK and still agree with the cpu backend.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { multiplyInto } from '../src/accel/kernels/shared-kernels.js';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { OWN_KERNEL_MIN_MACS } from '../src/accel/wasm/matmul.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';

// Counts the products our kernel computes, to see which route a product took.
vi.mock('../src/accel/kernels/shared-kernels.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/accel/kernels/shared-kernels.js')>();
  return { ...actual, multiplyInto: vi.fn(actual.multiplyInto) };
});

beforeAll(async () => {
  await selectBackend('wasm', silentLogger);
});

const values = (n: number, seed: number) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
};

/** op(A) op(B) in float32, products and sums rounded, summed over k in order. */
function inOrder(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++)
        sum = Math.fround(sum + Math.fround((ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j])));
      c[i * n + j] = sum;
    }
  return c;
}

describe('wasm BatchMatMul', () => {
  const [m, k, n] = [70, 130, 150];

  it('the shapes here are large enough for our kernel', () => {
    expect(m * k * n).toBeGreaterThanOrEqual(OWN_KERNEL_MIN_MACS);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('a large product (transposeA %s, transposeB %s) is float32 arithmetic in order, in 2D and with a batch of one', (ta, tb) => {
    const a = values(m * k, 1);
    const b = values(k * n, 2);
    const want = Array.from(inOrder(a, b, m, k, n, ta, tb));
    const aShape: [number, number] = ta ? [k, m] : [m, k];
    const bShape: [number, number] = tb ? [n, k] : [k, n];
    const got2 = tf.tidy(() => tf.matMul(tf.tensor2d(a, aShape), tf.tensor2d(b, bShape), ta, tb));
    expect(got2.shape).toEqual([m, n]);
    expect(Array.from(got2.dataSync())).toEqual(want);
    const got3 = tf.tidy(() => tf.matMul(tf.tensor3d(a, [1, ...aShape]), tf.tensor3d(b, [1, ...bShape]), ta, tb));
    expect(got3.shape).toEqual([1, m, n]);
    expect(Array.from(got3.dataSync())).toEqual(want);
    tf.dispose([got2, got3]);
  });

  it('a product whose k steps go in several chunks (a wide B) is still float32 arithmetic in order', () => {
    // B rows of 1,001 floats: the kernel takes k in chunks of 49 rows, keeping partial sums in C.
    const [mm, kk, nn] = [9, 300, 1001];
    for (const ta of [false, true]) {
      const a = values(mm * kk, 8);
      const b = values(kk * nn, 9);
      const got = tf.tidy(() => tf.matMul(tf.tensor2d(a, ta ? [kk, mm] : [mm, kk]), tf.tensor2d(b, [kk, nn]), ta, false));
      expect(Array.from(got.dataSync())).toEqual(Array.from(inOrder(a, b, mm, kk, nn, ta, false)));
      got.dispose();
    }
  });

  it('small and batched products agree with float64 arithmetic to float32 rounding', () => {
    for (const [batch, mm, kk, nn, ta] of [
      [1, 9, 7, 5, false],
      [1, 9, 7, 5, true],
      [3, 40, 50, 60, false],
    ] as Array<[number, number, number, number, boolean]>) {
      const a = values(batch * mm * kk, 3);
      const b = values(batch * kk * nn, 4);
      const got = tf.tidy(() =>
        tf.matMul(tf.tensor3d(a, ta ? [batch, kk, mm] : [batch, mm, kk]), tf.tensor3d(b, [batch, kk, nn]), ta, false),
      );
      const out = got.dataSync();
      for (let z = 0; z < batch; z++)
        for (let i = 0; i < mm; i++)
          for (let j = 0; j < nn; j++) {
            let sum = 0;
            for (let p = 0; p < kk; p++)
              sum += (ta ? a[z * mm * kk + p * mm + i] : a[z * mm * kk + i * kk + p]) * b[z * kk * nn + p * nn + j];
            expect(Math.abs(out[z * mm * nn + i * nn + j] - sum)).toBeLessThan(1e-5);
          }
      got.dispose();
    }
  });

  it('a right operand used again (frozen weights, batch after batch) goes to XNNPACK, with the same bits', () => {
    const calls = vi.mocked(multiplyInto).mock.calls;
    const weights = tf.tensor2d(values(k * n, 5), [k, n]);
    const batches = [values(m * k, 6), values(m * k, 7)];
    const before = calls.length;
    const first = tf.tidy(() => tf.matMul(tf.tensor2d(batches[0], [m, k]), weights));
    expect(calls.length).toBe(before + 1);
    const again = batches.map((x) => tf.tidy(() => tf.matMul(tf.tensor2d(x, [m, k]), weights)));
    expect(calls.length).toBe(before + 1);
    expect(Array.from(again[0].dataSync())).toEqual(Array.from(first.dataSync()));
    expect(Array.from(again[1].dataSync())).toEqual(
      Array.from(inOrder(batches[1], weights.dataSync() as Float32Array, m, k, n, false, false)),
    );
    tf.dispose([weights, first, ...again]);
  });
});
