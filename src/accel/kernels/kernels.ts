// Our WebAssembly kernels (kernels.wat) and the memory they work in. A head step's arrays are
// allocated once per training phase inside the module's memory, as Float32Array views, so the
// kernels read and write them in place: no copies, no re-packing of weights that change every step.
// Kernels on tensors of the wasm backend run in one shared instance instead (shared-kernels.ts).
import { HEAP_BRIDGE_WASM_BASE64, HEAP_KERNELS_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels-wasm.js';

export interface SharedMemory {
  buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

/** A WebAssembly.Memory that is not shared, such as the heap of TF.js's wasm backend. */
export interface PlainMemory {
  buffer: ArrayBuffer;
}

// The tsconfig's libraries do not declare WebAssembly; these are the members used here.
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedMemory;
};

export interface KernelExports {
  /** bias: the byte offset of n floats each row starts from, or NO_BIAS. */
  gemm(a: number, aRow: number, aCol: number, b: number, c: number, m: number, k: number, n: number, bias: number): void;
  scaleColumns(x: number, s: number, out: number, rows: number, cols: number): void;
  /** out [cols x rows] = (x with column j times s[j]) transposed. */
  scaleColumnsTransposed(x: number, s: number, out: number, rows: number, cols: number): void;
  /** gamma, bias and beta: NO_BIAS (-1) where absent. */
  foldVectors(
    variance: number,
    gamma: number,
    mean: number,
    bias: number,
    beta: number,
    eps: number,
    r: number,
    s: number,
    centred: number,
    shift: number,
    n: number,
  ): void;
  foldVectorGrad(dsFilter: number, dShift: number, centred: number, r: number, dGamma: number, n: number): void;
  foldGrad(dF: number, k: number, s: number, dK: number, ds: number, rows: number, cols: number): void;
  /** The new w goes to out: w itself, or n floats of their own. */
  adam(
    w: number,
    g: number,
    m: number,
    s: number,
    out: number,
    n: number,
    b1: number,
    a1: number,
    b2: number,
    a2: number,
    c1: number,
    c2: number,
    eps: number,
    lr: number,
    decay: number,
  ): void;
  columnSums(x: number, out: number, rows: number, columns: number): void;
  clipGrad(x: number, dy: number, g: number, n: number, min: number, max: number): void;
  depthwiseFilterGrad(x: number, dy: number, dw: number, ...geometry: DepthwiseArguments): void;
  /** bias: NO_BIAS (-1) for none. */
  depthwiseForward(x: number, f: number, bias: number, y: number, ...geometry: DepthwiseArguments): void;
  depthwiseInputGrad(dy: number, f: number, dx: number, ...geometry: DepthwiseArguments): void;
}

/** n h w c outH outW filterH filterW strideH strideW dilationH dilationW padTop padLeft. */
export type DepthwiseArguments = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

export interface Instance extends KernelExports {
  memory: SharedMemory;
}

/** The kernels over another module's plain memory. */
export interface HeapInstance extends KernelExports {
  memory: PlainMemory;
}

/** gemm's bias argument for sums that start from zero. */
export const NO_BIAS = -1;
export const PAGE = 65536;
export const ALIGN = 16;
let compiled: object | undefined;

/** The compiled module, which helper threads instantiate over the same memory. */
export const compiledModule = (): object => (compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64')));

let heapCompiled: object | undefined;
const heapInstances = new WeakMap<PlainMemory, HeapInstance>();

/** The kernels' heap build over `memory` (one instance per memory), to work on its data in place. */
export function heapInstance(memory: PlainMemory): HeapInstance {
  let k = heapInstances.get(memory);
  if (!k) {
    heapCompiled ??= new WebAssembly.Module(Buffer.from(HEAP_KERNELS_WASM_BASE64, 'base64'));
    k = { ...(new WebAssembly.Instance(heapCompiled, { env: { memory } }).exports as KernelExports), memory };
    heapInstances.set(memory, k);
  }
  return k;
}

/** Copies between a plain heap and our shared memory (heap-bridge.wat); byte offsets and counts. */
export interface HeapBridge {
  toShared(to: number, from: number, bytes: number): void;
  toHeap(to: number, from: number, bytes: number): void;
}

const bridgeBytes = Buffer.from(HEAP_BRIDGE_WASM_BASE64, 'base64');
/** The compiled bridge once asked for; null where the runtime lacks multi-memory (before Node 22). */
let bridgeCompiled: object | null | undefined;
const bridges = new WeakMap<PlainMemory, { shared: SharedMemory; bridge: HeapBridge }>();

/** The bridge between `heap` and `shared`, or undefined where the runtime cannot run it. */
export function heapBridge(heap: PlainMemory, shared: SharedMemory): HeapBridge | undefined {
  if (bridgeCompiled === undefined) bridgeCompiled = WebAssembly.validate(bridgeBytes) ? new WebAssembly.Module(bridgeBytes) : null;
  if (bridgeCompiled === null) return undefined;
  const known = bridges.get(heap);
  if (known?.shared === shared) return known.bridge;
  const bridge = new WebAssembly.Instance(bridgeCompiled, { env: { heap, shared } }).exports as HeapBridge;
  bridges.set(heap, { shared, bridge });
  return bridge;
}

/** An instance over a fresh shared memory of `pages` pages, growable to `maximum`. */
export function instantiate(pages: number, maximum: number): Instance {
  const memory = new WebAssembly.Memory({ initial: pages, maximum, shared: true });
  // The module exports its functions only (the memory is imported), so the spread is the kernels.
  return { ...(new WebAssembly.Instance(compiledModule(), { env: { memory } }).exports as KernelExports), memory };
}

/** Grows `k`'s memory to hold `bytes`. */
export function reserve(k: Instance, bytes: number): void {
  const missing = Math.ceil(bytes / PAGE) - k.memory.buffer.byteLength / PAGE;
  if (missing > 0) k.memory.grow(missing);
}

/** Bytes for `floats` floats, rounded up so that the next array starts 16-byte aligned. */
export const aligned = (floats: number): number => Math.ceil((floats * 4) / ALIGN) * ALIGN;

/** gemm's byte strides of the left operand [m x k]: along a row and along a column. */
export const leftStrides = (m: number, k: number, transposed: boolean): [number, number] => (transposed ? [4, m * 4] : [k * 4, 4]);

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
      k.adam(
        at(w),
        at(g),
        at(m),
        at(s),
        at(w),
        Math.ceil(w.length / 4) * 4,
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        1 - beta1 ** t,
        1 - beta2 ** t,
        epsilon,
        lr,
        decay,
      );
    },
  };
}
