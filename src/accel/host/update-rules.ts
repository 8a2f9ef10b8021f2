// The optimizers' update rules on arrays in our kernels' memory, for heads trained there (see
// host/step.ts). Same rules and constants as the tensor optimizer in train/optimizer.ts: Adam runs
// in the SIMD kernel, SGD and RMSprop in loops here, all in float32 and in the tensor optimizer's
// order of operations: every operation rounded to float32 (Math.fround) as a float32 tensor op
// rounds it, so a head trained here and one trained as tensors agree to the bit.
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

const f = Math.fround;

/** w - delta, then minus w * decay where decay applies (kernels): the tensor optimizer's v.sub(delta).sub(v.mul(decay)). */
const decayed = (w: number, delta: number, decay: number): number => (decay === 0 ? f(w - delta) : f(f(w - delta) - f(w * f(decay))));

/** b = mu b + g; delta = lr b (nesterov: lr (g + mu b)), as sgdUpdate in train/optimizer.ts. */
function sgd(momentum: number, nesterov: boolean): ArrayUpdate {
  const mu = f(momentum);
  return (w, g, [b], lr, _t, decay) => {
    const rate = f(lr);
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      let delta: number;
      if (momentum === 0) delta = f(gi * rate);
      else {
        const bi = (b[i] = f(f(b[i] * mu) + gi));
        delta = nesterov ? f(f(gi + f(bi * mu)) * rate) : f(bi * rate);
      }
      w[i] = decayed(w[i], delta, decay);
    }
  };
}

/** ms = rho ms + (1 - rho) g^2; delta = lr g / (sqrt(ms) + eps), as rmspropUpdate in train/optimizer.ts. */
const rmsprop: ArrayUpdate = (w, g, [ms], lr, _t, decay) => {
  const rho = f(RMSPROP.rho);
  const rest = f(1 - RMSPROP.rho);
  const epsilon = f(RMSPROP.epsilon);
  const rate = f(lr);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = (ms[i] = f(f(ms[i] * rho) + f(f(gi * gi) * rest)));
    w[i] = decayed(w[i], f(f(gi / f(f(Math.sqrt(mi)) + epsilon)) * rate), decay);
  }
};

/** Scales the gradients in place by min(1, clipNorm / global norm). */
export function clipArraysByGlobalNorm(grads: Float32Array[], clipNorm: number): void {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  const scale = Math.min(1, clipNorm / (Math.sqrt(sum) + 1e-12));
  if (scale < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
}
