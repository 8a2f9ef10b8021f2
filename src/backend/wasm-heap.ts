// Our kernels on tensors of TF.js's wasm backend read and write them where they are: as views of
// the backend's heap, without copies. The output is allocated before any view is taken, because an
// allocation may grow the heap, which replaces its buffer and so empties views taken earlier.
import type { tf } from './tf.js';

/** What the wasm backend offers its kernels. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** A new float32 tensor of `shape` on the wasm `backend`, which `fill` writes from views of it and of `inputs`. */
export function computeOnHeap(backend: unknown, shape: number[], inputs: tf.TensorInfo[], fill: (out: Float32Array, ...inputs: Float32Array[]) => void): tf.TensorInfo {
  const heap = backend as WasmHeap;
  const out = heap.makeOutput(shape, 'float32');
  fill(heap.typedArrayFromHeap(out), ...inputs.map((t) => heap.typedArrayFromHeap(t)));
  return out;
}

/** The values of a tensor of the wasm `backend`, as a view valid until the heap next allocates. */
export function heapView(backend: unknown, t: tf.TensorInfo): Float32Array {
  return (backend as WasmHeap).typedArrayFromHeap(t);
}
