// Training steps for the head on plain arrays, on backends whose tensors live in host memory.
// A head step is small (576 x 128 x 10 at batch 64): as tensor ops on wasm it is some 135 kernel
// calls whose dispatch costs more than their arithmetic, and each update makes XNNPACK re-pack
// the changed kernel. Here the arrays stay in our kernels' memory (kernels.wat) for the whole
// phase; the weights are copied out of the variables before an epoch and back after it.
import { tf } from '../../backend/tf.js';
import { dropoutMask, dropoutSeedOf, headVariables, type Head } from '../../train/head.js';
import type { StepRunner, StepSettings } from '../../train/step.js';
import { allocateHeadSpace, gradientArrays, headGradients, weightArrays } from './dense-head.js';
import { createHostOptimizer } from './optimizer.js';
import { clipArraysByGlobalNorm, slotCount } from './update-rules.js';

export function hostHeadSteps(head: Head, { settings, dropout, classWeights }: StepSettings): StepRunner {
  const variables = headVariables(head);
  const widths = [head.layers[0].kernel.shape[0], ...head.layers.map((l) => l.bias.shape[0])];
  const space = allocateHeadSpace(widths, settings.batch_size, slotCount(settings));
  const weights = weightArrays(space);
  const grads = gradientArrays(space);
  const optimizer = createHostOptimizer(
    settings,
    space.kernels,
    space.slots,
    variables.map((v) => v.rank > 1),
  );
  const first = space.layers[0];
  return {
    optimizer,
    async begin() {
      const values = await Promise.all(variables.map((v) => v.data()));
      values.forEach((v, i) => weights[i].set(v as Float32Array));
    },
    async step({ x, y }, idx, lr, dropoutSeed) {
      const rows = idx.length;
      const masks = space.layers.map((l, i) =>
        dropout > 0 ? dropoutMask(rows * l.inDim, dropout, dropoutSeedOf(dropoutSeed, i)) : undefined,
      );
      standardisedRowsInto(first.input, x.data, x.dim, idx, head.mean, head.std, masks[0]);
      const labels = Int32Array.from(idx, (i) => y[i]);
      const loss = headGradients(space, rows, masks, { labels, smoothing: settings.label_smoothing, classWeights });
      if (settings.clip_norm !== undefined) clipArraysByGlobalNorm(grads, settings.clip_norm);
      optimizer.apply(weights, grads, lr);
      return loss;
    },
    end() {
      tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
    },
    dispose: () => optimizer.dispose(),
  };
}

/**
 * Rows `idx` of the feature matrix into `out`, standardised and masked as headLogits does it:
 * (x - mean) / std, then times the mask, each step rounded to float32 as the tensor ops round it.
 */
function standardisedRowsInto(
  out: Float32Array,
  data: Float32Array,
  dim: number,
  idx: Int32Array,
  mean: Float32Array,
  std: Float32Array,
  mask: Float32Array | undefined,
): void {
  idx.forEach((r, i) => {
    const src = r * dim;
    const dst = i * dim;
    for (let d = 0; d < dim; d++) {
      const v = Math.fround(Math.fround(data[src + d] - mean[d]) / std[d]);
      out[dst + d] = mask ? v * mask[dst + d] : v;
    }
  });
}
