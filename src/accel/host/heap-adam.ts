// Adam for tensor variables on the wasm backend, on its heap: the slots are tensors there, which
// our kernel (its heap build) updates in place, and it writes each variable's new values into a
// new tensor that the variable is then assigned. No copies in or out: for MobileNetV2's top blocks
// (1.5M weights) the copies were most of the update's time. The weights are never changed in
// place: XNNPACK keeps its packing of a product's weights under their tensor, so a variable must
// get new data to be repacked. The kernel is the one the other optimizers on kernels use, in the
// tensor optimizer's order of operations, so the weights are the same to the bit.
import { tf } from '../../backend/tf.js';
import { heapKernels, heapView } from '../tfjs-internals.js';
import { ADAM, assertStateFits, type HeadOptimizer, type OptimizerConfig } from '../../train/optimizer.js';

/** Adam or AdamW on the wasm backend's heap, or undefined where the heap cannot be worked on (a shared one). */
export function createHeapAdam(cfg: OptimizerConfig, vars: tf.Variable[]): HeadOptimizer | undefined {
  const backend = tf.backend();
  const heap = heapKernels(backend);
  if (!heap) return undefined;
  // Each variable's slots in turn (m, then s), as checkpoints of the other optimizers lay them out.
  const slots = vars.map((v) => [tf.zeros(v.shape), tf.zeros(v.shape)]);
  let t = 0;
  return {
    step(grads, lr) {
      t++;
      const { beta1, beta2, epsilon } = ADAM;
      const [c1, c2] = [1 - beta1 ** t, 1 - beta2 ** t];
      vars.forEach((v, i) => {
        // Decoupled weight decay shrinks kernels only, as in the tensor optimizer.
        const decay = v.rank > 1 ? lr * cfg.weight_decay : 0;
        const [m, s] = slots[i];
        const [updated] = heap.tensors([v.shape], (out) =>
          heap.kernels.adam(
            heap.offset(v),
            heap.offset(grads[i]),
            heap.offset(m),
            heap.offset(s),
            out,
            v.size,
            beta1,
            1 - beta1,
            beta2,
            1 - beta2,
            c1,
            c2,
            epsilon,
            lr,
            decay,
          ),
        );
        v.assign(updated);
        updated.dispose();
      });
    },
    getState: async () => ({ step: t, slots: slots.flat().map((s) => (s.dataSync() as Float32Array).slice()) }),
    setState(state) {
      const flat = slots.flat();
      assertStateFits(
        state,
        flat.map((s) => s.size),
      );
      t = state.step;
      flat.forEach((s, i) => heapView(backend, s).set(state.slots[i]));
    },
    dispose: () => tf.dispose(slots.flat()),
  };
}
