// The one file that reads TF.js's private internals: the wasm backend's heap (its module's memory,
// makeOutput, typedArrayFromHeap, getMemoryOffset) and the engine's gradient depth. They are not
// part of TF.js's API, so they are read only on the version this was written and tested against;
// on any other, acceleration is off (accel/create.ts) and everything runs on plain TF.js ops.
//
// Our kernels on tensors of TF.js's wasm backend read and write them where they are: as views of
// the backend's heap, without copies. The output is allocated before any view is taken, because an
// allocation may grow the heap, which replaces its buffer and so empties views taken earlier.
// The heap (the module's memory) is registered with our kernels, which then run on such views in
// place (kernels/shared-kernels.ts).
import { heapInstance, NO_BIAS, type HeapInstance } from './kernels/kernels.js';
import { registerHeap } from './kernels/shared-kernels.js';
import { tf } from '../backend/tf.js';

/** The TF.js version whose internals this file reads. */
export const INTERNALS_TFJS_VERSION = '4.22.0';

/** Whether the loaded TF.js is that version (else the internals below may not be there or mean the same). */
export const internalsMatch = (version: string = tf.version_core): boolean => version === INTERNALS_TFJS_VERSION;

/** Whether the engine is recording ops for a gradient (inside tf.grads, variableGrads, ...). */
export const recordingGradients = (): boolean => tf.engine().state.gradientDepth > 0;

/** What the wasm backend offers its kernels. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  /** The Emscripten module: its exports (`asm`) include the memory. */
  wasm?: { asm?: { memory?: unknown } };
  getMemoryOffset(dataId: object): number;
}

const registered = new WeakSet<object>();

/** The backend's heap, unless it is shared (TF.js's threaded build), which the heap build cannot import. */
function plainHeap(heap: WasmHeap): { buffer: ArrayBuffer } | undefined {
  const memory = heap.wasm?.asm?.memory as { buffer?: unknown } | undefined;
  return memory?.buffer instanceof ArrayBuffer ? (memory as { buffer: ArrayBuffer }) : undefined;
}

/** Registers the backend's heap with our kernels. */
function registerBackendHeap(heap: WasmHeap): void {
  if (registered.has(heap)) return;
  registered.add(heap);
  const memory = plainHeap(heap);
  if (memory) registerHeap(memory);
}

/** Our kernels over the wasm `backend`'s heap, and the byte offset of a tensor's data there. */
export interface HeapKernels {
  kernels: HeapInstance;
  /** NO_BIAS (-1) for an absent tensor, as the kernels take an absent operand. */
  offset(t: tf.TensorInfo | undefined): number;
  /** New float32 tensors of these shapes, which `fill` writes, given their byte offsets. */
  tensors(shapes: number[][], fill: (...at: number[]) => void): tf.Tensor[];
}

const kernelsOfHeap = new WeakMap<object, HeapKernels | null>();

/** Made once per backend: the folded layers and Adam ask for it several times a step. */
export function heapKernels(backend: unknown): HeapKernels | undefined {
  const heap = backend as WasmHeap;
  let k = kernelsOfHeap.get(heap);
  if (k === undefined) kernelsOfHeap.set(heap, (k = makeHeapKernels(heap) ?? null));
  return k ?? undefined;
}

function makeHeapKernels(heap: WasmHeap): HeapKernels | undefined {
  const memory = plainHeap(heap);
  if (!memory) return undefined;
  const offset = (t: tf.TensorInfo | undefined): number => (t ? heap.getMemoryOffset(t.dataId) : NO_BIAS);
  return {
    kernels: heapInstance(memory),
    offset,
    tensors(shapes, fill) {
      const outputs = shapes.map((shape) => heap.makeOutput(shape, 'float32'));
      fill(...outputs.map(offset));
      return outputs.map((info) => tf.engine().makeTensorFromTensorInfo(info));
    },
  };
}

/** A new float32 tensor of `shape` on the wasm `backend`, which `fill` writes from views of it and of `inputs`. */
export function computeOnHeap(
  backend: unknown,
  shape: number[],
  inputs: tf.TensorInfo[],
  fill: (out: Float32Array, ...inputs: Float32Array[]) => void,
): tf.TensorInfo {
  const heap = backend as WasmHeap;
  registerBackendHeap(heap);
  const out = heap.makeOutput(shape, 'float32');
  fill(heap.typedArrayFromHeap(out), ...inputs.map((t) => heap.typedArrayFromHeap(t)));
  return out;
}

/** The values of a tensor of the wasm `backend`, as a view valid until the heap next allocates. */
export function heapView(backend: unknown, t: tf.TensorInfo): Float32Array {
  registerBackendHeap(backend as WasmHeap);
  return (backend as WasmHeap).typedArrayFromHeap(t);
}
