// The convolution gradient kernels added to wasm give the cpu backend's gradients, for the shapes
// MobileNetV2 trains with, and a small conv net trains on wasm to the cpu backend's losses.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { registerWasmGradKernels } from './helpers/wasm-kernels.js';
import { silentLogger } from '../src/util/log.js';
import { convNet, trainLosses } from './helpers/tiny-nets.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  name: string;
  x: Shape4;
  filter: Shape4;
  strides: number;
  pad: Pad;
  depthwise?: boolean;
  /** Keras ZeroPadding2D before the convolution, as in MobileNetV2's stem. */
  zeroPad?: [[number, number], [number, number]];
}

const CASES: Case[] = [
  { name: 'depthwise 3x3 stride 1 same', x: [4, 12, 12, 32], filter: [3, 3, 32, 1], strides: 1, pad: 'same', depthwise: true },
  {
    name: 'depthwise 3x3 stride 2 same, even input (asymmetric pad)',
    x: [4, 12, 12, 24],
    filter: [3, 3, 24, 1],
    strides: 2,
    pad: 'same',
    depthwise: true,
  },
  {
    name: 'depthwise 3x3 stride 2 same, odd non-square input',
    x: [3, 13, 11, 8],
    filter: [3, 3, 8, 1],
    strides: 2,
    pad: 'same',
    depthwise: true,
  },
  {
    name: 'depthwise 3x3 stride 2 valid after ZeroPadding',
    x: [2, 12, 12, 16],
    filter: [3, 3, 16, 1],
    strides: 2,
    pad: 'valid',
    depthwise: true,
    zeroPad: [
      [0, 1],
      [0, 1],
    ],
  },
  { name: 'depthwise 3x3 stride 1 valid, multiplier 2', x: [2, 9, 9, 6], filter: [3, 3, 6, 2], strides: 1, pad: 'valid', depthwise: true },
  {
    name: 'depthwise 5x5 stride 2 explicit pad',
    x: [2, 11, 10, 4],
    filter: [5, 5, 4, 1],
    strides: 2,
    pad: [
      [0, 0],
      [1, 3],
      [2, 0],
      [0, 0],
    ],
    depthwise: true,
  },
  { name: 'conv 1x1 expand', x: [4, 6, 6, 24], filter: [1, 1, 24, 144], strides: 1, pad: 'same' },
  { name: 'conv 1x1 project', x: [4, 6, 6, 144], filter: [1, 1, 144, 24], strides: 1, pad: 'valid' },
  { name: 'conv 1x1 stride 2', x: [2, 7, 8, 16], filter: [1, 1, 16, 8], strides: 2, pad: 'same' },
  {
    name: 'conv 3x3 stride 2 valid after ZeroPadding (stem)',
    x: [4, 32, 32, 3],
    filter: [3, 3, 3, 16],
    strides: 2,
    pad: 'valid',
    zeroPad: [
      [0, 1],
      [0, 1],
    ],
  },
  { name: 'conv 3x3 stride 1 same', x: [2, 10, 10, 8], filter: [3, 3, 8, 12], strides: 1, pad: 'same' },
  { name: 'conv 3x3 stride 2 same, odd non-square input', x: [2, 9, 12, 5], filter: [3, 3, 5, 7], strides: 2, pad: 'same' },
  {
    name: 'conv 3x3 stride 2 explicit pad',
    x: [2, 9, 9, 4],
    filter: [3, 3, 4, 6],
    strides: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
  {
    name: 'conv 3x3 pad wider than the filter',
    x: [2, 6, 6, 3],
    filter: [3, 3, 3, 4],
    strides: 1,
    pad: [
      [0, 0],
      [3, 0],
      [0, 4],
      [0, 0],
    ],
  },
];

/** A deterministic stream of uniform numbers in [-1, 1) (a 32-bit LCG). */
function seeded(seed: number): (n: number) => Float32Array {
  let s = seed >>> 0;
  return (n) =>
    Float32Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s / 2 ** 32) * 2 - 1;
    });
}

/** dL/dx and dL/dfilter for L = sum(y^2) / 2 (so dy = y), read back as plain arrays. */
async function gradients(c: Case, xv: Float32Array, fv: Float32Array): Promise<Float32Array[]> {
  const x = tf.tensor4d(xv, c.x);
  const filter = tf.tensor4d(fv, c.filter);
  const loss = (a: tf.Tensor, w: tf.Tensor): tf.Scalar => {
    const input = (c.zeroPad ? tf.pad(a, [[0, 0], ...c.zeroPad, [0, 0]]) : a) as tf.Tensor4D;
    const y = c.depthwise
      ? tf.depthwiseConv2d(input, w as tf.Tensor4D, c.strides, c.pad)
      : tf.conv2d(input, w as tf.Tensor4D, c.strides, c.pad);
    return tf.mul(tf.sum(tf.square(y)), 0.5);
  };
  const grads = tf.grads(loss)([x, filter]);
  const values = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
  tf.dispose([x, filter, ...grads]);
  return values;
}

/** The largest difference, relative to the largest magnitude of the reference. */
function relativeError(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let scale = 1e-12;
  want.forEach((w, i) => {
    diff = Math.max(diff, Math.abs(got[i] - w));
    scale = Math.max(scale, Math.abs(w));
  });
  return diff / scale;
}

async function onBoth<T>(run: () => Promise<T>): Promise<{ cpu: T; wasm: T }> {
  await tf.setBackend('cpu');
  const cpu = await run();
  await tf.setBackend('wasm');
  return { cpu, wasm: await run() };
}

beforeAll(async () => {
  await selectBackend('wasm', silentLogger);
  registerWasmGradKernels();
});

describe('wasm convolution gradients', () => {
  it.each(CASES)("$name: dx and dW equal the cpu backend's", async (c) => {
    const random = seeded(c.x.reduce((a, b) => a * b) + c.filter[3]);
    const xv = random(tf.util.sizeFromShape(c.x));
    const fv = random(tf.util.sizeFromShape(c.filter));
    const { cpu, wasm } = await onBoth(() => gradients(c, xv, fv));
    expect(relativeError(wasm[0], cpu[0]), 'dx').toBeLessThan(1e-4);
    expect(relativeError(wasm[1], cpu[1]), 'dW').toBeLessThan(1e-4);
  });

  // A layer in training runs its fused depthwise convolution (with a bias, as BatchNorm folded in
  // gives it) through our kernel on wasm: the values and gradients of the cpu backend.
  it.each(CASES.filter((c) => c.depthwise && c.filter[3] === 1))(
    "$name, fused with a bias under a gradient tape: y, dx, dW and db equal the cpu backend's",
    async (c) => {
      const random = seeded(c.x.reduce((a, b) => a * b) + 3);
      const [xv, fv, bv] = [random(tf.util.sizeFromShape(c.x)), random(tf.util.sizeFromShape(c.filter)), random(c.filter[2])];
      const run = async (): Promise<Float32Array[]> => {
        const [x, filter, bias] = [tf.tensor4d(xv, c.x), tf.tensor4d(fv, c.filter), tf.tensor1d(bv)];
        const forward = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => {
          const input = (c.zeroPad ? tf.pad(a, [[0, 0], ...c.zeroPad, [0, 0]]) : a) as tf.Tensor4D;
          return tf.fused.depthwiseConv2d({ x: input, filter: w as tf.Tensor4D, strides: c.strides, pad: c.pad as 'valid', bias: b });
        };
        let y: Float32Array = new Float32Array();
        const grads = tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
          const out = forward(a, w, b);
          y = out.dataSync().slice() as Float32Array;
          return tf.mul(tf.sum(tf.square(out)), 0.5);
        })([x, filter, bias]);
        const values = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
        tf.dispose([x, filter, bias, ...grads]);
        return [y, ...values];
      };
      const { cpu, wasm } = await onBoth(run);
      ['y', 'dx', 'dW', 'db'].forEach((name, i) => expect(relativeError(wasm[i], cpu[i]), name).toBeLessThan(1e-4));
    },
  );

  it('computes the filter gradient of an NCHW convolution', async () => {
    const random = seeded(7);
    const [xv, dyv] = [random(2 * 5 * 9 * 9), random(2 * 6 * 5 * 5)];
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 5, 6] };
    const run = async (): Promise<Float32Array> => {
      const inputs = { x: tf.tensor4d(xv, [2, 5, 9, 9]), dy: tf.tensor4d(dyv, [2, 6, 5, 5]) };
      const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, inputs, attrs) as tf.Tensor;
      const values = (await dw.data()) as Float32Array;
      tf.dispose([dw, inputs.x, inputs.dy]);
      return values;
    };
    const { cpu, wasm } = await onBoth(run);
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-4);
  });

  it('is the adjoint of a dilated depthwise convolution (cpu ignores dilation in its gradients)', async () => {
    await tf.setBackend('wasm');
    const random = seeded(11);
    const [x, w, dy] = [
      tf.tensor4d(random(2 * 10 * 10 * 3), [2, 10, 10, 3]),
      tf.tensor4d(random(3 * 3 * 3 * 2), [3, 3, 3, 2]),
      tf.tensor4d(random(2 * 10 * 10 * 6), [2, 10, 10, 6]),
    ];
    const attrs = { strides: 1, dilations: 2, pad: 'same' };
    const dx = tf
      .engine()
      .runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor;
    const dw = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor;
    const y = tf.depthwiseConv2d(x, w, 1, 'same', 'NHWC', 2);
    // <conv(x, w), dy> = <x, dx> = <w, dW>
    const [ydy, xdx, wdw] = await Promise.all(
      [tf.sum(tf.mul(y, dy)), tf.sum(tf.mul(x, dx)), tf.sum(tf.mul(w, dw))].map(async (t) => (await t.data())[0]),
    );
    expect(xdx).toBeCloseTo(ydy, 3);
    expect(wdw).toBeCloseTo(ydy, 3);
    tf.dispose([x, w, dy, dx, dw, y]);
  });

  it("tiles by broadcasting, and hands other tilings to wasm's own kernel", async () => {
    const random = seeded(5);
    const cases: Array<[number[], number[], 'float32' | 'int32']> = [
      [[1, 1, 1, 6], [2, 3, 4, 1], 'float32'],
      [[1, 5], [3, 1], 'int32'],
      [[2, 3], [2, 2], 'float32'],
    ];
    for (const [shape, reps, dtype] of cases) {
      const values = random(tf.util.sizeFromShape(shape)).map((v) => (dtype === 'int32' ? Math.round(v * 10) : v));
      const { cpu, wasm } = await onBoth(async () => {
        const t = tf.tile(tf.tensor(values, shape, dtype), reps);
        const out = { shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) };
        t.dispose();
        return out;
      });
      expect(wasm).toEqual(cpu);
    }
  });

  it('registers once: a second call changes nothing', () => {
    const before = [tf.Conv2DBackpropInput, tf.Tile, tf.Conv2DBackpropFilter].map((k) => tf.getKernel(k, 'wasm').kernelFunc);
    registerWasmGradKernels();
    const after = [tf.Conv2DBackpropInput, tf.Tile, tf.Conv2DBackpropFilter].map((k) => tf.getKernel(k, 'wasm').kernelFunc);
    expect(after).toEqual(before);
  });

  it('leaves no tensor behind', async () => {
    await tf.setBackend('wasm');
    const c = CASES[1];
    const before = tf.memory().numTensors;
    await gradients(c, seeded(3)(tf.util.sizeFromShape(c.x)), seeded(4)(tf.util.sizeFromShape(c.filter)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it("trains a conv net (conv2d, depthwise, batch norm, relu6) with Adam to the cpu backend's losses", async () => {
    const steps = 10;
    const { cpu, wasm } = await onBoth(() => trainLosses(convNet, steps));
    expect(cpu[steps - 1]).toBeLessThan(cpu[0]);
    wasm.forEach((l, i) => expect(l, `step ${i}`).toBeCloseTo(cpu[i], 4));
  });
});

describe('wasm matrix products with a transposed operand', () => {
  const CASES_MM: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [
    { a: [64, 37], b: [64, 19], ta: true, tb: false },
    { a: [23, 41], b: [17, 41], ta: false, tb: true },
    { a: [41, 23], b: [17, 41], ta: true, tb: true },
    { a: [3, 9, 5], b: [3, 9, 4], ta: true, tb: false },
    { a: [2, 6, 7], b: [2, 5, 7], ta: false, tb: true },
  ];
  it.each(CASES_MM)("a $a (transposed $ta) x b $b (transposed $tb) equals the cpu backend's product", async (c) => {
    const random = seeded(c.a.reduce((x, y) => x * y) + c.b.reduce((x, y) => x * y));
    const [av, bv] = [random(tf.util.sizeFromShape(c.a)), random(tf.util.sizeFromShape(c.b))];
    const run = async (): Promise<Float32Array> => {
      const out = tf.tidy(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb));
      const values = (await out.data()) as Float32Array;
      out.dispose();
      return values;
    };
    const { cpu, wasm } = await onBoth(run);
    expect(wasm.length).toBe(cpu.length);
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-5);
  });

  it('leaves no tensor behind', async () => {
    await tf.setBackend('wasm');
    const [a, b] = [tf.ones([8, 4]), tf.ones([8, 3])];
    const before = tf.memory().numTensors;
    const out = tf.matMul(a, b, true, false);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(await out.data())).toEqual(new Array(12).fill(8));
    tf.dispose([a, b, out]);
  });
});

describe('wasm ClipByValue gradient (Keras ReLU6)', () => {
  it("equals the cpu backend's stock gradient exactly, boundaries included", async () => {
    const random = seeded(5);
    const values = Float32Array.from(random(600), (v) => v * 8 - 1);
    values.set([0, 6, -0, 6.000001, -1e-7, 5.999999], 0);
    const dyv = random(600);
    const run = async (): Promise<Float32Array> => {
      const [x, dy] = [tf.tensor2d(values, [20, 30]), tf.tensor2d(dyv, [20, 30])];
      const g = tf.grad((t: tf.Tensor) => tf.clipByValue(t, 0, 6))(x, dy);
      const out = (await g.data()) as Float32Array;
      tf.dispose([x, dy, g]);
      return out;
    };
    const { cpu, wasm } = await onBoth(run);
    // Equal as numbers: a masked-out entry is -0 where dy < 0 (dy x 0) and +0 from the stock Select.
    const differ = Array.from(wasm).flatMap((w, i) => (w === cpu[i] ? [] : [[i, values[i], w, cpu[i]]]));
    expect(differ).toEqual([]);
    expect(wasm[0]).toBe(dyv[0]); // x == min passes the gradient
    expect(wasm[1]).toBe(dyv[1]); // x == max too
    expect(wasm[3]).toBe(0);
  });

  it('gives the bits of dy * ((1 - step(min - x)) * (1 - step(x - max))), -0, NaN and infinities included', async () => {
    await tf.setBackend('wasm');
    const xs = [-1, 0, -0, 3, 6, 6.5, NaN, Infinity, -Infinity, 2, 7, 1];
    const dys = [-2, -3, 4, -5, 6, -7, 8, 9, 10, -Infinity, 1, NaN];
    const [x, dy] = [tf.tensor1d(xs), tf.tensor1d(dys)];
    const got = Array.from(
      await tf
        .grad((t: tf.Tensor) => tf.clipByValue(t, 0, 6))(x, dy)
        .data(),
    );
    const ops = tf.tidy(() => tf.mul(dy, tf.mul(tf.sub(1, tf.step(tf.sub(0, x))), tf.sub(1, tf.step(tf.sub(x, 6))))));
    const want = Array.from(await ops.data());
    expect(got.map((v, i) => Object.is(v, want[i]))).toEqual(xs.map(() => true));
    expect(Object.is(got[0], -0)).toBe(true); // dy < 0 masked out
    expect(got[6]).toBeNaN();
    tf.dispose([x, dy, ops]);
  });

  it('computes the wasm gradient in one kernel, not from the boolean kernels', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([-1, 0.5, 7]);
    const info = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.clipByValue(t, 0, 6))(x));
    const kernels = info.kernels.map((k) => k.name);
    expect(kernels).toContain('ClipByValueGradWasm');
    expect(kernels).not.toContain('LogicalAnd');
    expect(kernels).not.toContain('Select');
    expect(Array.from(await (info.result as tf.Tensor).data())).toEqual([0, 1, 0]);
    tf.dispose([x, info.result as tf.Tensor]);
  });
});

describe('wasm Identity', () => {
  it('shares the data of its input, which stays readable after the input is disposed', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    y.dispose();
    const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
    expect(await s.data()).toEqual(['a', 'b']);
  });
});
