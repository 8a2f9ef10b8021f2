// Whether the current backend keeps tensors in host memory (wasm, cpu), so that our kernels can
// work on copies of them cheaply.
import { tf } from '../../backend/tf.js';

const HOST_MEMORY_BACKENDS = new Set(['wasm', 'cpu']);

export const onHostMemoryBackend = (): boolean => HOST_MEMORY_BACKENDS.has(tf.getBackend());
