import { tf } from '../backend/tf.js';
import type { Spec } from '../spec/schema.js';

/** Decoupled weight decay of adamw (Loshchilov & Hutter), applied after each Adam step. */
export const ADAMW_WEIGHT_DECAY = 0.01;

export interface OptimizerStep {
  optimizer: tf.Optimizer;
  /** Runs after each step: adamw's weight decay; nothing for the others. */
  afterStep(vars: tf.Variable[], learningRate: number): void;
}

export function createOptimizer(name: Spec['train']['optimizer'], learningRate: number): OptimizerStep {
  const none = () => {};
  switch (name) {
    case 'adam':
      return { optimizer: tf.train.adam(learningRate), afterStep: none };
    case 'adamw':
      return {
        optimizer: tf.train.adam(learningRate),
        afterStep: (vars, lr) =>
          tf.tidy(() => vars.filter((v) => v.rank > 1).forEach((v) => v.assign(v.mul(1 - lr * ADAMW_WEIGHT_DECAY)))),
      };
    case 'sgd':
      return { optimizer: tf.train.momentum(learningRate, 0.9), afterStep: none };
    case 'rmsprop':
      return { optimizer: tf.train.rmsprop(learningRate), afterStep: none };
  }
}
