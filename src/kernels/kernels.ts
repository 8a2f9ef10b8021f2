// Our WebAssembly kernels (kernels.wat) and the memory they work in. A head step's arrays are
// allocated once per training phase inside the module's memory, as Float32Array views, so the
// kernels read and write them in place: no copies, no re-packing of weights that change every step.
// One-off products (multiplyOnce) copy their operands into a shared instance instead.
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

// The tsconfig's libraries do not declare WebAssembly; these are the members used here.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  gemm(a: number, aRow: number, aCol: number, b: number, c: number, m: number, k: number, n: number): void;
  adam(w: number, g: number, m: number, s: number, n: number, b1: number, a1: number, b2: number, a2: number, c1: number, c2: number, eps: number, lr: number, decay: number): void;
}

const PAGE = 65536;
const ALIGN = 16;
let compiled: object | undefined;
let shared: KernelExports | undefined;

function instantiate(): KernelExports {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  return new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
}

/** Grows `k`'s memory to hold `bytes`. */
function reserve(k: KernelExports, bytes: number): void {
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
  const k = instantiate();
  const offsets: number[] = [];
  let top = 0;
  for (const length of lengths) {
    offsets.push(top);
    top += aligned(length);
  }
  reserve(k, top);
  const arrays = lengths.map((length, i) => new Float32Array(k.memory.buffer, offsets[i], length));
  const at = (a: Float32Array): number => a.byteOffset;
  return {
    arrays,
    gemm(c, a, b, m, kk, n, transposeA = false) {
      k.gemm(at(a), ...leftStrides(m, kk, transposeA), at(b), at(c), m, kk, n);
    },
    adam(w, g, m, s, { beta1, beta2, epsilon }, t, lr, decay) {
      k.adam(at(w), at(g), at(m), at(s), Math.ceil(w.length / 4) * 4, beta1, 1 - beta1, beta2, 1 - beta2, 1 - beta1 ** t, 1 - beta2 ** t, epsilon, lr, decay);
    },
  };
}

/**
 * c[m x n] = a[m x k] b[k x n] (a stored [k x m] with `transposeA`), computed on copies of a and b
 * in a shared instance, for products whose operands are new every call: unlike XNNPACK's product,
 * nothing is packed first. The result is a fresh array.
 */
export function multiplyOnce(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transposeA = false): Float32Array {
  const x = (shared ??= instantiate());
  const [aAt, bAt] = [0, aligned(a.length)];
  const cAt = bAt + aligned(b.length);
  reserve(x, cAt + m * n * 4);
  const memory = x.memory.buffer;
  new Float32Array(memory, aAt, a.length).set(a);
  new Float32Array(memory, bAt, b.length).set(b);
  x.gemm(aAt, ...leftStrides(m, k, transposeA), bAt, cAt, m, k, n);
  return new Float32Array(memory, cAt, m * n).slice();
}
