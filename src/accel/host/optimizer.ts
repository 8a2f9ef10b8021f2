// The optimizer of a head trained in our kernels' memory: its slots are arrays there, laid out in
// checkpoints as the tensor optimizer's are (each variable's slots in turn), so a checkpoint fits
// either.
import { assertStateFits, type OptimizerConfig, type OptimizerSlots, type OptimizerState } from '../../train/optimizer.js';
import type { Kernels } from '../kernels/kernels.js';
import { arrayRule } from './update-rules.js';

export interface HostOptimizer extends OptimizerSlots {
  /** One update of every weight array, in place; `grads` are in the same order. */
  apply(weights: Float32Array[], grads: Float32Array[], learningRate: number): void;
}

/**
 * `slots[i]` holds weight array i's slots (slotCount(cfg) of them, zeroed); `decayed[i]` says
 * whether it is a kernel, which weight decay shrinks, rather than a bias.
 */
export function createHostOptimizer(cfg: OptimizerConfig, kernels: Kernels, slots: Float32Array[][], decayed: boolean[]): HostOptimizer {
  const update = arrayRule(cfg, kernels);
  let t = 0;
  return {
    apply(weights, grads, lr) {
      t++;
      weights.forEach((w, i) => update(w, grads[i], slots[i], lr, t, decayed[i] ? lr * cfg.weight_decay : 0));
    },
    getState: async () => ({ step: t, slots: slots.flat().map((s) => s.slice()) }),
    setState(state: OptimizerState) {
      const flat = slots.flat();
      assertStateFits(
        state,
        flat.map((s) => s.length),
      );
      t = state.step;
      flat.forEach((s, i) => s.set(state.slots[i]));
    },
    dispose: () => {},
  };
}
