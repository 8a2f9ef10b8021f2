// The kernels of kernels.wat on tensors of TF.js's wasm backend: one instance per thread, whose
// memory holds copies of the operands (the backend's heap is another memory). Its matrix products
// are split over helper threads (kernel-threads.ts); the other kernels are single passes.
import { isMainThread } from 'node:worker_threads';
import { requestedWorkers } from '../features/worker-plan.js';
import { KernelThreads } from './kernel-threads.js';
import { ALIGN, aligned, compiledModule, instantiate, leftStrides, NO_BIAS, PAGE, reserve, type Instance } from './kernels.js';

/** The instance grows up to 1 GiB; a shared memory reserves its maximum. */
const SHARED_MAX_PAGES = 16384;
let shared: { instance: Instance; threads: KernelThreads } | undefined;

/** Whether multiplyInto can hold operands and result of this many floats in all. */
export const fitsMultiplyInto = (floats: number): boolean => floats * 4 + 4 * ALIGN <= SHARED_MAX_PAGES * PAGE;

export interface ProductOptions {
  /** a is stored [k x m]. */
  transposeA?: boolean;
  /** n floats each row of c starts from before its products are added, as XNNPACK's products do. */
  bias?: Float32Array;
}

/**
 * c[m x n] = a[m x k] b[k x n] (+ bias), computed on copies of a and b in a shared instance, for
 * products whose operands are new every call: unlike XNNPACK's product, nothing is packed first.
 * Bands of rows go to helper threads (FINETUNE_WORKERS, else one thread per core up to 4; none from
 * a feature worker); the result is the same for any number. The arrays may be views into another
 * memory.
 */
export function multiplyInto(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, options: ProductOptions = {}): void {
  shared ??= startShared();
  const x = shared.instance;
  const { transposeA = false, bias } = options;
  const aAt = 0;
  const bAt = aAt + aligned(a.length);
  const biasAt = bAt + aligned(b.length);
  const cAt = biasAt + aligned(bias?.length ?? 0);
  reserve(x, cAt + m * n * 4);
  const memory = x.memory.buffer;
  new Float32Array(memory, aAt, a.length).set(a);
  new Float32Array(memory, bAt, b.length).set(b);
  if (bias) new Float32Array(memory, biasAt, n).set(bias);
  shared.threads.run(aAt, ...leftStrides(m, k, transposeA), bAt, cAt, m, k, n, bias ? biasAt : NO_BIAS);
  c.set(new Float32Array(memory, cAt, m * n));
}

/**
 * x is `blocks` blocks of [rows x columns], each summed down its columns into columns floats of
 * out: every sum from zero, in row order, in float32. Computed on a copy of x in the shared instance.
 */
export function sumColumnsInto(out: Float32Array, x: Float32Array, blocks: number, rows: number, columns: number): void {
  shared ??= startShared();
  const s = shared.instance;
  const outAt = aligned(x.length);
  reserve(s, outAt + blocks * columns * 4);
  const memory = s.memory.buffer;
  new Float32Array(memory, 0, x.length).set(x);
  for (let b = 0; b < blocks; b++) s.columnSums(b * rows * columns * 4, outAt + b * columns * 4, rows, columns);
  out.set(new Float32Array(memory, outAt, blocks * columns));
}

/** g = dy where min <= x <= max, dy * 0 elsewhere, NaN where x is NaN; on copies in the shared instance. */
export function clipGradientInto(g: Float32Array, dy: Float32Array, x: Float32Array, min: number, max: number): void {
  shared ??= startShared();
  const s = shared.instance;
  const padded = aligned(x.length);
  reserve(s, 3 * padded);
  const memory = s.memory.buffer;
  new Float32Array(memory, 0, x.length).set(x);
  new Float32Array(memory, padded, dy.length).set(dy);
  s.clipGrad(0, padded, 2 * padded, padded / 4, min, max);
  g.set(new Float32Array(memory, 2 * padded, g.length));
}

/** Where a depthwise convolution's windows fall (NHWC, one filter per channel). */
export interface DepthwiseGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * dw [filterHeight, filterWidth, channels] of a depthwise convolution from its input x and output
 * gradient dy: per tap and channel, the products summed in the order image, row, column, in
 * float32. On copies in the shared instance.
 */
export function depthwiseFilterGradInto(dw: Float32Array, x: Float32Array, dy: Float32Array, g: DepthwiseGeometry): void {
  shared ??= startShared();
  const s = shared.instance;
  const geometry = [g.batch, g.inHeight, g.inWidth, g.channels, g.outHeight, g.outWidth, g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft];
  const dyAt = aligned(x.length);
  const dwAt = dyAt + aligned(dy.length);
  const geometryAt = dwAt + aligned(dw.length);
  reserve(s, geometryAt + geometry.length * 4);
  const memory = s.memory.buffer;
  new Float32Array(memory, 0, x.length).set(x);
  new Float32Array(memory, dyAt, dy.length).set(dy);
  new Int32Array(memory, geometryAt, geometry.length).set(geometry);
  s.depthwiseFilterGrad(0, dyAt, dwAt, geometryAt);
  dw.set(new Float32Array(memory, dwAt, dw.length));
}

function startShared(): { instance: Instance; threads: KernelThreads } {
  const instance = instantiate(1, SHARED_MAX_PAGES);
  // Feature workers already keep every core busy: helpers of their own would only compete.
  const threads = isMainThread ? requestedWorkers() : 1;
  return { instance, threads: new KernelThreads(compiledModule(), instance.memory, instance.gemm, threads) };
}
