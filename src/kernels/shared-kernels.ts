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
  const { transposeA = false, bias } = options;
  const [aAt, bAt, biasAt, cAt] = stage([a, b, bias ?? 0, c.length]);
  sharedKernels().threads.run(aAt, ...leftStrides(m, k, transposeA), bAt, cAt, m, k, n, bias ? biasAt : NO_BIAS);
  copyOut(c, cAt);
}

/**
 * x is `blocks` blocks of [rows x columns], each summed down its columns into columns floats of
 * out: every sum from zero, in row order, in float32. Computed on a copy of x in the shared instance.
 */
export function sumColumnsInto(out: Float32Array, x: Float32Array, blocks: number, rows: number, columns: number): void {
  const [xAt, outAt] = stage([x, out.length]);
  const { instance } = sharedKernels();
  for (let b = 0; b < blocks; b++) instance.columnSums(xAt + b * rows * columns * 4, outAt + b * columns * 4, rows, columns);
  copyOut(out, outAt);
}

/** g = dy where min <= x <= max, dy * 0 elsewhere, NaN where x is NaN; on copies in the shared instance. */
export function clipGradientInto(g: Float32Array, dy: Float32Array, x: Float32Array, min: number, max: number): void {
  const [xAt, dyAt, gAt] = stage([x, dy, g.length]);
  // Whole vectors: each array's padding to 16 bytes is the instance's own.
  sharedKernels().instance.clipGrad(xAt, dyAt, gAt, aligned(x.length) / 4, min, max);
  copyOut(g, gAt);
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
  const geometry = [g.batch, g.inHeight, g.inWidth, g.channels, g.outHeight, g.outWidth, g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft];
  const [xAt, dyAt, dwAt, geometryAt] = stage([x, dy, dw.length, geometry.length]);
  const { instance } = sharedKernels();
  new Int32Array(instance.memory.buffer, geometryAt, geometry.length).set(geometry);
  instance.depthwiseFilterGrad(xAt, dyAt, dwAt, geometryAt);
  copyOut(dw, dwAt);
}

/**
 * Places each part one after another in the shared instance's memory, each 16-byte aligned, and
 * grows the memory to hold them: an array is copied in, a number reserves that many 4-byte words.
 * Returns their byte offsets.
 */
function stage(parts: Array<Float32Array | number>): number[] {
  const { instance } = sharedKernels();
  const at: number[] = [];
  let top = 0;
  for (const part of parts) {
    at.push(top);
    top += aligned(typeof part === 'number' ? part : part.length);
  }
  reserve(instance, top);
  parts.forEach((part, i) => {
    if (typeof part !== 'number') new Float32Array(instance.memory.buffer, at[i], part.length).set(part);
  });
  return at;
}

/** out = the floats at byte offset `at` of the shared instance. */
function copyOut(out: Float32Array, at: number): void {
  out.set(new Float32Array(sharedKernels().instance.memory.buffer, at, out.length));
}

const sharedKernels = (): { instance: Instance; threads: KernelThreads } => (shared ??= startShared());

function startShared(): { instance: Instance; threads: KernelThreads } {
  const instance = instantiate(1, SHARED_MAX_PAGES);
  // Feature workers already keep every core busy: helpers of their own would only compete.
  const threads = isMainThread ? requestedWorkers() : 1;
  return { instance, threads: new KernelThreads(compiledModule(), instance.memory, instance.gemm, threads) };
}
