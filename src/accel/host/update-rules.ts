// The optimizers' update rules on arrays in our kernels' memory, for heads trained there (see
// host/step.ts). Same rules and constants as the tensor optimizer in train/optimizer.ts: Adam runs
// in the SIMD kernel, in float32 and in the tensor optimizer's order of operations; SGD and
// RMSprop are loops in double precision, stored in float32.
import { ADAM, RMSPROP, type OptimizerConfig } from '../../train/optimizer.js';
import type { Kernels } from '../kernels/kernels.js';

/** Updates `w` in place from its gradient and its slots (also updated in place). `t` counts from 1. */
export type ArrayUpdate = (w: Float32Array, g: Float32Array, slots: Float32Array[], lr: number, t: number, decay: number) => void;

export function slotCount(cfg: OptimizerConfig): number {
  return cfg.optimizer === 'adam' || cfg.optimizer === 'adamw' ? 2 : 1;
}

/** The rule for `cfg`. `decay` is lr * weight_decay for kernels, 0 for biases. */
export function arrayRule(cfg: OptimizerConfig, kernels: Kernels): ArrayUpdate {
  switch (cfg.optimizer) {
    case 'adam':
    case 'adamw':
      return (w, g, [m, s], lr, t, decay) => kernels.adam(w, g, m, s, ADAM, t, lr, decay);
    case 'sgd':
      return sgd(cfg.momentum, cfg.nesterov);
    case 'rmsprop':
      return rmsprop;
  }
}

function sgd(momentum: number, nesterov: boolean): ArrayUpdate {
  return (w, g, [b], lr, _t, decay) => {
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      let step = gi;
      if (momentum !== 0) {
        const bi = (b[i] = momentum * b[i] + gi);
        step = nesterov ? gi + momentum * bi : bi;
      }
      w[i] -= lr * step + decay * w[i];
    }
  };
}

const rmsprop: ArrayUpdate = (w, g, [ms], lr, _t, decay) => {
  const { rho, epsilon } = RMSPROP;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = (ms[i] = rho * ms[i] + (1 - rho) * gi * gi);
    w[i] -= (lr * gi) / (Math.sqrt(mi) + epsilon) + decay * w[i];
  }
};

/** Scales the gradients in place by min(1, clipNorm / global norm). */
export function clipArraysByGlobalNorm(grads: Float32Array[], clipNorm: number): void {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  const scale = Math.min(1, clipNorm / (Math.sqrt(sum) + 1e-12));
  if (scale < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
}
