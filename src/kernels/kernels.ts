// Our WebAssembly kernels (kernels.wat) and the memory they work in. A head step's arrays are
// allocated once per training phase inside the module's memory, as Float32Array views, so the
// kernels read and write them in place: no copies, no re-packing of weights that change every step.
// One-off products (multiplyInto) copy their operands into a shared instance instead, whose
// products are split over helper threads (kernel-threads.ts).
import { isMainThread } from 'node:worker_threads';
import { requestedWorkers } from '../features/worker-plan.js';
import { KernelThreads } from './kernel-threads.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

interface SharedMemory {
  buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

// The tsconfig's libraries do not declare WebAssembly; these are the members used here.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedMemory;
};

interface KernelExports {
  /** bias: the byte offset of n floats each row starts from, or NO_BIAS. */
  gemm(a: number, aRow: number, aCol: number, b: number, c: number, m: number, k: number, n: number, bias: number): void;
  adam(w: number, g: number, m: number, s: number, n: number, b1: number, a1: number, b2: number, a2: number, c1: number, c2: number, eps: number, lr: number, decay: number): void;
  columnSums(x: number, out: number, rows: number, columns: number): void;
  clipGrad(x: number, dy: number, g: number, n: number, min: number, max: number): void;
  depthwiseFilterGrad(x: number, dy: number, dw: number, geometry: number): void;
}

export interface Instance extends KernelExports {
  memory: SharedMemory;
}

const NO_BIAS = -1;
const PAGE = 65536;
const ALIGN = 16;
/** The one-off products' instance grows up to 1 GiB; a shared memory reserves its maximum. */
const SHARED_MAX_PAGES = 16384;
let compiled: object | undefined;
let shared: { instance: Instance; threads: KernelThreads } | undefined;

/** The compiled module, which helper threads instantiate over the same memory. */
export const compiledModule = (): object => (compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64')));

/** An instance over a fresh shared memory of `pages` pages, growable to `maximum`. */
export function instantiate(pages: number, maximum: number): Instance {
  const memory = new WebAssembly.Memory({ initial: pages, maximum, shared: true });
  const exports = new WebAssembly.Instance(compiledModule(), { env: { memory } }).exports as KernelExports;
  const { gemm, adam, columnSums, clipGrad, depthwiseFilterGrad } = exports;
  return { gemm, adam, columnSums, clipGrad, depthwiseFilterGrad, memory };
}

/** Grows `k`'s memory to hold `bytes`. */
function reserve(k: Instance, bytes: number): void {
  const missing = Math.ceil(bytes / PAGE) - k.memory.buffer.byteLength / PAGE;
  if (missing > 0) k.memory.grow(missing);
}

const aligned = (floats: number): number => Math.ceil((floats * 4) / ALIGN) * ALIGN;

/** gemm's byte strides of the left operand [m x k]: along a row and along a column. */
const leftStrides = (m: number, k: number, transposed: boolean): [number, number] => (transposed ? [4, m * 4] : [k * 4, 4]);

export interface AdamConstants {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface Kernels {
  /** The arrays asked for, in order: zeroed float32 views into the kernels' memory. */
  arrays: Float32Array[];
  /** c[m x n] = a[m x k] b[k x n]; with `transposeA`, a is stored [k x m]. All three must be `arrays`. */
  gemm(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, transposeA?: boolean): void;
  /** One Adam update of w from g, with its slots m and s; decay is lr * weight decay (0 for biases). */
  adam(w: Float32Array, g: Float32Array, m: Float32Array, s: Float32Array, adam: AdamConstants, t: number, lr: number, decay: number): void;
}

/**
 * A fresh instance with arrays of the given lengths. All are laid out before any view is made,
 * because growing the memory later would detach the views. Each starts 16-byte aligned and is
 * padded to whole 4-float vectors, which Adam updates too (zeros stay zeros).
 */
export function createKernels(lengths: number[]): Kernels {
  const offsets: number[] = [];
  let top = 0;
  for (const length of lengths) {
    offsets.push(top);
    top += aligned(length);
  }
  const pages = Math.max(1, Math.ceil(top / PAGE));
  const k = instantiate(pages, pages);
  const arrays = lengths.map((length, i) => new Float32Array(k.memory.buffer, offsets[i], length));
  const at = (a: Float32Array): number => a.byteOffset;
  return {
    arrays,
    gemm(c, a, b, m, kk, n, transposeA = false) {
      k.gemm(at(a), ...leftStrides(m, kk, transposeA), at(b), at(c), m, kk, n, NO_BIAS);
    },
    adam(w, g, m, s, { beta1, beta2, epsilon }, t, lr, decay) {
      k.adam(at(w), at(g), at(m), at(s), Math.ceil(w.length / 4) * 4, beta1, 1 - beta1, beta2, 1 - beta2, 1 - beta1 ** t, 1 - beta2 ** t, epsilon, lr, decay);
    },
  };
}

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
