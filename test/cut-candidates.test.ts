// Where a base can be cut: only where one layer's output is all that the layers above it read.
import { describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { cutCandidates } from '../src/model/cut-candidates.js';

/** input -> a -> b, then add(a, b) -> c -> pooled -> dense: a residual branch skips over b. */
function residualNet(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' }).apply(a) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', name: 'c' }).apply(sum) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pooled' }).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'out' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('cutCandidates', () => {
  it('lists every layer whose output alone crosses upwards, with its output shape, and skips a layer a branch jumps over', () => {
    const model = residualNet();
    expect(cutCandidates(model)).toEqual([
      { name: 'a', shape: [8, 8, 4] },
      { name: 'sum', shape: [8, 8, 4] },
      { name: 'c', shape: [4, 4, 6] },
      { name: 'pooled', shape: [6] },
      { name: 'out', shape: [2] },
    ]);
    model.dispose();
  });

  it('in a plain stack, every layer but the input is one', () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [5], units: 3, name: 'h' }), tf.layers.dense({ units: 2, name: 'o' })],
    });
    expect(cutCandidates(model).map((c) => c.name)).toEqual(['h', 'o']);
    model.dispose();
  });
});
