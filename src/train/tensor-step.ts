// Training steps as tensor ops: the loss under tf.variableGrads, the update by the tensor
// optimizer (with acceleration on wasm and cpu, Adam's update runs in our kernels, to the same
// bits). Works for any
// trainee on any backend.
import { activeAccel } from '../accel/index.js';
import { tf } from '../backend/tf.js';
import type { FeatureMatrix } from '../features/extract.js';
import { trainingLoss } from './loss.js';
import { clipByGlobalNorm, createOptimizer, type HeadOptimizer, type OptimizerConfig } from './optimizer.js';
import type { StepRunner, StepSettings } from './step.js';
import type { Trainee } from './trainee.js';

export function tensorSteps(trainee: Trainee, { settings, dropout, classWeights }: StepSettings): StepRunner {
  const vars = trainee.variables;
  const optimizer = createTrainingOptimizer(settings, vars);
  const k = trainee.numClasses;
  return {
    optimizer,
    begin: async () => {},
    async step({ x, y }, idx, lr, dropoutSeed) {
      const yb = Int32Array.from(idx, (i) => y[i]);
      const loss = tf.tidy(() => {
        const xt = tf.tensor2d(gatherRows(x, idx), [idx.length, x.dim]);
        const yt = tf.oneHot(tf.tensor1d(yb, 'int32'), k) as tf.Tensor2D;
        const wt = classWeights ? tf.tensor1d(Float32Array.from(yb, (c) => classWeights[c])) : undefined;
        const f = () => trainingLoss(trainee.logits(xt, { dropout, dropoutSeed }), yt, settings.label_smoothing, wt);
        const { value, grads } = tf.variableGrads(f, vars);
        const g = vars.map((v) => grads[v.name]);
        const clip = settings.clip_norm;
        optimizer.step(clip === undefined ? g : clipByGlobalNorm(g, clip), lr);
        return value;
      });
      // Reads go through data(), not dataSync(): the WebGPU backend cannot read synchronously in Node.
      const value = (await loss.data())[0];
      loss.dispose();
      return value;
    },
    end: () => {},
    dispose: () => optimizer.dispose(),
  };
}

/** The tensor optimizer, or where acceleration offers it (Adam on wasm and cpu) the same update in our kernels. */
export function createTrainingOptimizer(cfg: OptimizerConfig, vars: tf.Variable[]): HeadOptimizer {
  return activeAccel().variableOptimizer(cfg, vars) ?? createOptimizer(cfg, vars);
}

/** Rows `idx` of the feature matrix, as one batch. */
function gatherRows(x: FeatureMatrix, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * x.dim);
  idx.forEach((r, i) => out.set(x.data.subarray(r * x.dim, (r + 1) * x.dim), i * x.dim));
  return out;
}
