// Adam for tensor variables on backends that keep tensors in host memory (wasm, cpu), as phase two
// trains base layers. On wasm it runs in place on the backend's heap (heap-adam.ts). Elsewhere the
// slots live in our kernels' memory, and each step copies the gradients and weights in, updates
// them there and writes the weights back. Either way the kernel does the tensor optimizer's
// operations in its order, so the weights come out the same to the bit, in one kernel call per
// variable instead of about fourteen TF.js ops (for MobileNetV2's top blocks, 1.5M weights, most
// of the update's time).
import { tf } from '../../backend/tf.js';
import { heapView } from '../tfjs-internals.js';
import { createKernels } from '../kernels/kernels.js';
import type { HeadOptimizer, OptimizerConfig } from '../../train/optimizer.js';
import { createHeapAdam } from './heap-adam.js';
import { createHostOptimizer } from './optimizer.js';
import { slotCount } from './update-rules.js';

/** Only Adam and AdamW: the heap path (heap-adam.ts) has no other rule; SGD and RMSprop stay tensor ops here. */
export const runsOnKernels = (cfg: OptimizerConfig): boolean => cfg.optimizer === 'adam' || cfg.optimizer === 'adamw';

/** A tensor's values: on wasm a view of its heap, read at once, without a copy; elsewhere (cpu) a copy. */
function hostData(t: tf.Tensor): Float32Array {
  return tf.getBackend() === 'wasm' ? heapView(tf.backend(), t) : (t.dataSync() as Float32Array);
}

export function createVariableOptimizer(cfg: OptimizerConfig, vars: tf.Variable[]): HeadOptimizer {
  return (tf.getBackend() === 'wasm' ? createHeapAdam(cfg, vars) : undefined) ?? createCopyingOptimizer(cfg, vars);
}

/** Adam on copies in our kernels' own memory: for the cpu backend, and a wasm backend whose heap is shared. */
function createCopyingOptimizer(cfg: OptimizerConfig, vars: tf.Variable[]): HeadOptimizer {
  const sizes = vars.map((v) => v.size);
  const count = slotCount(cfg);
  const kernels = createKernels([...sizes, ...sizes, ...sizes.flatMap((n) => new Array<number>(count).fill(n))]);
  const weights = kernels.arrays.slice(0, vars.length);
  const grads = kernels.arrays.slice(vars.length, 2 * vars.length);
  const slots = vars.map((_, i) => kernels.arrays.slice(2 * vars.length + i * count, 2 * vars.length + (i + 1) * count));
  // Decoupled weight decay shrinks kernels only, as in the tensor optimizer.
  const host = createHostOptimizer(
    cfg,
    kernels,
    slots,
    vars.map((v) => v.rank > 1),
  );
  return {
    step(g, lr) {
      vars.forEach((v, i) => {
        weights[i].set(hostData(v));
        grads[i].set(hostData(g[i]));
      });
      host.apply(weights, grads, lr);
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
    },
    getState: host.getState,
    setState: host.setState,
    dispose: host.dispose,
  };
}
