// How a training phase takes one optimizer step on a batch of rows. Two ways, one result up to
// float rounding: tensor ops under tf.variableGrads for any trainee on any backend, or, for a head
// where acceleration offers it (wasm, cpu), plain arrays (accel/host/step.ts).
import { activeAccel } from '../accel/index.js';
import type { LabelledFeatures } from './epoch.js';
import type { OptimizerSlots } from './optimizer.js';
import type { TrainSettings } from './settings.js';
import { tensorSteps } from './tensor-step.js';
import type { Trainee } from './trainee.js';

export interface StepRunner {
  /** The optimizer's slots, for checkpoints. */
  optimizer: OptimizerSlots;
  /** Before an epoch's steps: a runner that keeps its own copy of the weights reads the variables. */
  begin(): Promise<void>;
  /** One update from the rows `idx` of `data`; the batch's loss. */
  step(data: LabelledFeatures, idx: Int32Array, lr: number, dropoutSeed: number): Promise<number>;
  /** After an epoch's steps, also when it stopped midway: that copy goes back into the variables. */
  end(): void;
  dispose(): void;
}

export interface StepSettings {
  settings: TrainSettings;
  dropout: number;
  /** Loss weight per class, when class_weights is set. */
  classWeights?: Float32Array;
}

export function createStepRunner(trainee: Trainee, s: StepSettings): StepRunner {
  return (trainee.head ? activeAccel().headSteps(trainee.head, s) : undefined) ?? tensorSteps(trainee, s);
}
