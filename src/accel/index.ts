// The one door to the speed machinery (everything under src/accel/). Backend selection
// (backend/select.ts) creates an Accel (accel/create.ts) and hands it out through useAccel; train/
// and model/ ask activeAccel() and never import what lies behind it. Each provider answers
// undefined where it does not apply (another backend, another optimizer) or when acceleration is
// off (FINETUNE_ACCEL=off, `finetune run --no-accel`, a TF.js version whose internals we do not
// know): the caller then runs plain TF.js ops, which give the same results up to float rounding.
// Types only here, so importing this file loads none of the kernels.
import type { tf } from '../backend/tf.js';
import type { Head } from '../train/head.js';
import type { HeadOptimizer, OptimizerConfig } from '../train/optimizer.js';
import type { StepRunner, StepSettings } from '../train/step.js';

export type FoldActivation = 'linear' | 'relu' | 'relu6';

/** A convolution layer's and its BatchNormalization's weights, as stored: no fold applied. */
export interface FoldWeights {
  /** [1, 1, in, out] for a 1x1 convolution, [height, width, channels, 1] for a depthwise one */
  kernel: tf.Tensor;
  bias?: tf.Tensor;
  gamma?: tf.Tensor;
  beta?: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
  epsilon: number;
}

/** Where a depthwise convolution's windows fall: padding as the convolution takes it, explicit NHWC amounts included. */
export interface DepthwiseGeometry {
  strides: [number, number];
  pad: 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
  dilations: [number, number];
}

/** Convolutions with their BatchNormalization folded in, with gradients of their own, for layers that train. */
export interface FoldedOps {
  /** A 1x1 convolution (stride 1, no padding). */
  pointwise(x: tf.Tensor4D, w: FoldWeights, activation: FoldActivation, inputGradient: boolean): tf.Tensor4D;
  /** A depthwise convolution with channel multiplier 1. */
  depthwise(x: tf.Tensor4D, w: FoldWeights, activation: FoldActivation, inputGradient: boolean, geometry: DepthwiseGeometry): tf.Tensor4D;
}

export interface Accel {
  /** Whether anything here is on; false means every answer below is "use plain ops". */
  readonly enabled: boolean;
  /** Puts our kernels in front of the backend's (or, off, puts the backend's own back). Before tf.setBackend. */
  registerKernels(tfBackend: string): void;
  /** Training steps for a head on arrays in our kernels' memory, or undefined: tensor steps. */
  headSteps(head: Head, s: StepSettings): StepRunner | undefined;
  /** The optimizer update in our kernels (same bits as the tensor optimizer), or undefined: the tensor optimizer. */
  variableOptimizer(cfg: OptimizerConfig, vars: tf.Variable[]): HeadOptimizer | undefined;
  /** Folded convolutions for layers that train, or undefined: the fold as plain fused ops under the tape. */
  readonly folded: FoldedOps | undefined;
}

/** Acceleration off: every answer is "use plain TF.js ops". */
export const NO_ACCEL: Accel = {
  enabled: false,
  registerKernels: () => {},
  headSteps: () => undefined,
  variableOptimizer: () => undefined,
  folded: undefined,
};

let active: Accel = NO_ACCEL;

/** The Accel the last backend selection handed out (NO_ACCEL before any). */
export const activeAccel = (): Accel => active;

/** Called by backend selection only. */
export function useAccel(accel: Accel): void {
  active = accel;
}
