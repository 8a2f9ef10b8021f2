// The kernels of kernels.wat on tensors of TF.js's wasm backend. Where every array is a view of a
// heap registered here (the backend's), the kernels run on it in place, in an instance of the
// heap build over that memory: no copies. Otherwise, and for matrix products split over helper
// threads (kernel-threads.ts), which can only share a shared memory, they run in one shared
// instance per thread, on copies of the operands.
import { isMainThread } from 'node:worker_threads';
import { requestedWorkers } from '../../features/worker-plan.js';
import { KernelThreads } from './kernel-threads.js';
import {
  ALIGN,
  aligned,
  compiledModule,
  type DepthwiseArguments,
  heapBridge,
  type HeapBridge,
  heapInstance,
  type KernelExports,
  instantiate,
  leftStrides,
  NO_BIAS,
  PAGE,
  reserve,
  type HeapInstance,
  type Instance,
  type PlainMemory,
} from './kernels.js';

const heaps: PlainMemory[] = [];

/** Lets the kernels work in place on arrays that are views of `memory` (not shared). */
export function registerHeap(memory: PlainMemory): void {
  if (!heaps.includes(memory)) heaps.push(memory);
}

/** The kernels over the registered heap that holds all of `views`, if any. */
function heapHolding(views: Float32Array[]): HeapInstance | undefined {
  const memory = heaps.find((h) => views.every((v) => v.buffer === h.buffer));
  return memory && heapInstance(memory);
}

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
 * c[m x n] = a[m x k] b[k x n] (+ bias), for products whose operands are new every call: unlike
 * XNNPACK's product, nothing is packed first. Bands of rows go to helper threads (FINETUNE_WORKERS,
 * else one thread per core up to 4; none from a feature worker), which compute on copies of a and
 * b in the shared instance; the calling thread computes its bands in place when the arrays are
 * views of a registered heap, else on those copies too. The result is the same for any number of
 * threads.
 */
export function multiplyInto(
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  options: ProductOptions = {},
): void {
  const { transposeA = false, bias } = options;
  const [aRow, aCol] = leftStrides(m, k, transposeA);
  const { instance, threads } = sharedKernels();
  const heap = heapHolding(bias ? [c, a, b, bias] : [c, a, b]);
  const [aHeap, bHeap, cHeap, biasHeap] = [a.byteOffset, b.byteOffset, c.byteOffset, bias ? bias.byteOffset : NO_BIAS];
  if (heap && threads.threads === 1) return heap.gemm(aHeap, aRow, aCol, bHeap, cHeap, m, k, n, biasHeap);
  // Helper threads share only our shared memory: they compute on copies there. On a heap, this
  // thread computes its own bands in place, and only the helpers' rows are copied back.
  const bridge = heap && heapBridge(heap.memory, instance.memory);
  const [aAt, bAt, biasAt, cAt] = stage([a, b, bias ?? 0, c.length], bridge);
  if (!heap) {
    threads.run(aAt, aRow, aCol, bAt, cAt, m, k, n, bias ? biasAt : NO_BIAS);
    return copyOut(c, cAt);
  }
  const collect = (first: number, rows: number): void => {
    const [from, count] = [cAt + first * n * 4, rows * n];
    if (bridge) bridge.toHeap(cHeap + first * n * 4, from, count * 4);
    else c.set(new Float32Array(instance.memory.buffer, from, count), first * n);
  };
  threads.run(aAt, aRow, aCol, bAt, cAt, m, k, n, bias ? biasAt : NO_BIAS, {
    gemm: heap.gemm,
    a: aHeap,
    b: bHeap,
    c: cHeap,
    bias: biasHeap,
    collect,
  });
}

/**
 * x is `blocks` blocks of [rows x columns], each summed down its columns into columns floats of
 * out: every sum from zero, in row order, in float32.
 */
export function sumColumnsInto(out: Float32Array, x: Float32Array, blocks: number, rows: number, columns: number): void {
  singlePass(out, [x], (k, outAt, xAt) => {
    for (let b = 0; b < blocks; b++) k.columnSums(xAt + b * rows * columns * 4, outAt + b * columns * 4, rows, columns);
  });
}

/** g = dy where min <= x <= max, dy * 0 elsewhere, NaN where x is NaN. */
export function clipGradientInto(g: Float32Array, dy: Float32Array, x: Float32Array, min: number, max: number): void {
  singlePass(g, [dy, x], (k, gAt, dyAt, xAt) => k.clipGrad(xAt, dyAt, gAt, x.length, min, max));
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

/** The kernels' geometry arguments of a depthwise convolution. */
const depthwiseArguments = (g: DepthwiseGeometry): DepthwiseArguments => [
  g.batch,
  g.inHeight,
  g.inWidth,
  g.channels,
  g.outHeight,
  g.outWidth,
  g.filterHeight,
  g.filterWidth,
  g.strideHeight,
  g.strideWidth,
  g.dilationHeight,
  g.dilationWidth,
  g.padTop,
  g.padLeft,
];

/**
 * dw [filterHeight, filterWidth, channels] of a depthwise convolution from its input x and output
 * gradient dy: per tap and channel, the products summed in the order image, row, column, in
 * float32.
 */
export function depthwiseFilterGradInto(dw: Float32Array, x: Float32Array, dy: Float32Array, g: DepthwiseGeometry): void {
  singlePass(dw, [x, dy], (k, dwAt, xAt, dyAt) => k.depthwiseFilterGrad(xAt, dyAt, dwAt, ...depthwiseArguments(g)));
}

/** y = the depthwise convolution of x by filter f (+ bias), each output from its bias or zero, its taps in order. */
export function depthwiseForwardInto(
  y: Float32Array,
  x: Float32Array,
  f: Float32Array,
  bias: Float32Array | undefined,
  g: DepthwiseGeometry,
): void {
  singlePass(y, [x, f, bias], (k, yAt, xAt, fAt, biasAt) => k.depthwiseForward(xAt, fAt, biasAt, yAt, ...depthwiseArguments(g)));
}

/** dx of a depthwise convolution from dy and its filter f: each input's products added from zero in a fixed order. */
export function depthwiseInputGradInto(dx: Float32Array, dy: Float32Array, f: Float32Array, g: DepthwiseGeometry): void {
  singlePass(dx, [dy, f], (k, dxAt, dyAt, fAt) => k.depthwiseInputGrad(dyAt, fAt, dxAt, ...depthwiseArguments(g)));
}

/**
 * Runs a kernel that needs no helper thread with the byte offsets of `out` and of `inputs`
 * (NO_BIAS for an absent one): in place when all are views of a registered heap, else on copies
 * in the shared instance, from which `out` is then read.
 */
function singlePass(
  out: Float32Array,
  inputs: Array<Float32Array | undefined>,
  run: (k: KernelExports, outAt: number, ...inputsAt: number[]) => void,
): void {
  const heap = heapHolding([out, ...inputs.filter((v): v is Float32Array => v !== undefined)]);
  if (heap) return run(heap, out.byteOffset, ...inputs.map((v) => (v ? v.byteOffset : NO_BIAS)));
  const [outAt, ...at] = stage([out.length, ...inputs.map((v) => v ?? 0)]);
  run(sharedKernels().instance, outAt, ...inputs.map((v, i) => (v ? at[i] : NO_BIAS)));
  copyOut(out, outAt);
}

/**
 * Places each part one after another in the shared instance's memory, each 16-byte aligned, and
 * grows the memory to hold them: an array is copied in (by `bridge` when given: the arrays are
 * then views of its heap), a number reserves that many 4-byte words. Returns their byte offsets.
 */
function stage(parts: Array<Float32Array | number>, bridge?: HeapBridge): number[] {
  const { instance } = sharedKernels();
  const at: number[] = [];
  let top = 0;
  for (const part of parts) {
    at.push(top);
    top += aligned(typeof part === 'number' ? part : part.length);
  }
  reserve(instance, top);
  parts.forEach((part, i) => {
    if (typeof part === 'number') return;
    if (bridge) bridge.toShared(at[i], part.byteOffset, part.byteLength);
    else new Float32Array(instance.memory.buffer, at[i], part.length).set(part);
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
