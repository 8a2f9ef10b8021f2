// Checks both folded convolutions (folded-pointwise, folded-depthwise) pass: their gradients
// against the tape's, and the input gradient they skip.
import { expect } from 'vitest';
import { tf } from '../../src/backend/tf.js';
import { createRng } from '../../src/util/random.js';

/** A tensor of `shape` drawn uniformly from [lo, hi). */
export function uniform(shape: number[], seed: number, lo: number, hi: number): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng()),
    shape,
  );
}

/** Each gradient has the shape of the tape's, and every entry within 1e-5 of its largest entry. */
export function expectTapeGradients(ours: tf.Tensor[], theirs: tf.Tensor[]): void {
  expect(ours.length).toBe(theirs.length);
  ours.forEach((g, i) => {
    expect(g.shape).toEqual(theirs[i].shape);
    const [a, b] = [g.dataSync(), theirs[i].dataSync()];
    const scale = Math.max(...Array.from(b, Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - b[j])).toBeLessThanOrEqual(1e-5 * scale);
  });
}

/** Without an input gradient (`f(false)`), x (the first argument) gets zeros and every weight the same gradient. */
export function expectInputGradientSkipped(f: (inputGradient: boolean) => (...args: tf.Tensor[]) => tf.Tensor, args: tf.Tensor[]): void {
  const [dx, ...rest] = tf.grads(f(false))(args);
  const full = tf.grads(f(true))(args);
  expect(Array.from(dx.dataSync()).every((v) => v === 0)).toBe(true);
  expect(Array.from(full[0].dataSync()).some((v) => v !== 0)).toBe(true);
  rest.forEach((g, i) => expect(Array.from(g.dataSync())).toEqual(Array.from(full[i + 1].dataSync())));
}
