// Our own optimizer steps over the head's variables. TF.js optimizers keep their learning rate
// fixed at construction; here the rate is a plain number passed to every step, which is what a
// schedule needs, and the update rules are written out so they can be checked by hand.
import { tf } from '../backend/tf.js';
import type { TrainSettings } from './settings.js';

/** Keras's constants (TF.js uses the same). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;
export const RMSPROP = { rho: 0.9, epsilon: 1e-7 } as const;

export type OptimizerConfig = Pick<TrainSettings, 'optimizer' | 'weight_decay' | 'momentum' | 'nesterov'>;

/** What checkpoints need of an optimizer, whether its slots are tensors or arrays. */
export interface OptimizerSlots {
  /** A copy of the step count and every slot, for a checkpoint. */
  getState(): Promise<OptimizerState>;
  /** Puts back what getState returned, so the next step is the one that would have followed. */
  setState(state: OptimizerState): void;
  dispose(): void;
}

export interface HeadOptimizer extends OptimizerSlots {
  /** One update of every variable; `grads` are in the order of the variables. */
  step(grads: tf.Tensor[], learningRate: number): void;
}

export interface OptimizerState {
  /** Steps taken so far (Adam's bias correction depends on it). */
  step: number;
  /** The slots of each variable in turn, in the variables' order. */
  slots: Float32Array[];
}

/** Throws unless `state` has one slot of each of these lengths, in order. */
export function assertStateFits(state: OptimizerState, slotLengths: number[]): void {
  if (state.slots.length !== slotLengths.length || state.slots.some((a, i) => a.length !== slotLengths[i])) {
    throw new Error(`optimizer state does not fit: ${state.slots.length} slots for ${slotLengths.length}`);
  }
}

type Update = (v: tf.Variable, g: tf.Tensor, slots: tf.Variable[], lr: number, t: number) => tf.Tensor;

export function createOptimizer(cfg: OptimizerConfig, vars: tf.Variable[]): HeadOptimizer {
  const [slotCount, update] = rule(cfg);
  const slots = vars.map((v) => Array.from({ length: slotCount }, () => tf.variable(tf.zerosLike(v), false)));
  let t = 0;
  return {
    step(grads, lr) {
      t++;
      tf.tidy(() =>
        vars.forEach((v, i) => {
          const delta = update(v, grads[i], slots[i], lr, t);
          // Decoupled weight decay (Loshchilov & Hutter) shrinks kernels only, never biases.
          const decay = cfg.weight_decay > 0 && v.rank > 1 ? v.mul(lr * cfg.weight_decay) : undefined;
          v.assign(decay ? v.sub(delta).sub(decay) : v.sub(delta));
        }),
      );
    },
    // Reads go through data(): the WebGPU backend cannot read synchronously in Node.
    getState: async () => ({
      step: t,
      slots: await Promise.all(slots.flat().map(async (s) => ((await s.data()) as Float32Array).slice())),
    }),
    setState(state) {
      const flat = slots.flat();
      assertStateFits(
        state,
        flat.map((s) => s.size),
      );
      t = state.step;
      tf.tidy(() => flat.forEach((s, i) => s.assign(tf.tensor(state.slots[i], s.shape))));
    },
    dispose: () => slots.flat().forEach((s) => s.dispose()),
  };
}

/** How many state tensors each variable needs, and the step that returns the change to subtract. */
function rule(cfg: OptimizerConfig): [number, Update] {
  switch (cfg.optimizer) {
    case 'adam':
    case 'adamw':
      return [2, adamUpdate];
    case 'sgd':
      return [1, sgdUpdate(cfg.momentum, cfg.nesterov)];
    case 'rmsprop':
      return [1, rmspropUpdate];
  }
}

/** m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; delta = lr m^ / (sqrt(v^) + eps), bias-corrected. */
const adamUpdate: Update = (_v, g, [m, s], lr, t) => {
  const { beta1, beta2, epsilon } = ADAM;
  const m1 = m.mul(beta1).add(g.mul(1 - beta1));
  const s1 = s.mul(beta2).add(g.square().mul(1 - beta2));
  m.assign(m1);
  s.assign(s1);
  const mHat = m1.div(1 - beta1 ** t);
  const sHat = s1.div(1 - beta2 ** t);
  return mHat.div(sHat.sqrt().add(epsilon)).mul(lr);
};

/** PyTorch's form, which keeps the step size right when the rate changes: b = mu b + g; delta = lr b (nesterov: lr (g + mu b)). */
function sgdUpdate(momentum: number, nesterov: boolean): Update {
  return (_v, g, [b], lr) => {
    if (momentum === 0) return g.mul(lr);
    const b1 = b.mul(momentum).add(g);
    b.assign(b1);
    return (nesterov ? g.add(b1.mul(momentum)) : b1).mul(lr);
  };
}

/** ms = rho ms + (1 - rho) g^2; delta = lr g / (sqrt(ms) + eps). */
const rmspropUpdate: Update = (_v, g, [ms], lr) => {
  const { rho, epsilon } = RMSPROP;
  const ms1 = ms.mul(rho).add(g.square().mul(1 - rho));
  ms.assign(ms1);
  return g.div(ms1.sqrt().add(epsilon)).mul(lr);
};

/** Gradients scaled by min(1, clipNorm / global norm), the global norm taken over all of them together. */
export function clipByGlobalNorm(grads: tf.Tensor[], clipNorm: number): tf.Tensor[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(sumOfSquares(grads));
    const scale = tf.minimum(1, tf.scalar(clipNorm).div(norm.add(1e-12)));
    return grads.map((g) => g.mul(scale));
  });
}

/** The global norm of a list of tensors, as a number (for logs and tests). */
export function globalNorm(tensors: tf.Tensor[]): number {
  return tf.tidy(() => tf.sqrt(sumOfSquares(tensors)).dataSync()[0]);
}

// A chain of adds rather than addN, which some backends get wrong for many inputs.
const sumOfSquares = (ts: tf.Tensor[]): tf.Scalar => ts.map((g) => g.square().sum() as tf.Scalar).reduce((a, b) => a.add(b));
