// wasm's Tile is a generic element loop, some 20x slower than a broadcast add. The batch-norm
// gradient tiles a per-channel vector to the whole activation on every backward pass.
import { tf } from '../../backend/tf.js';

type KernelParams = Parameters<tf.KernelFunc>[0];

/** Tile as a broadcast when only axes of size 1 repeat; anything else goes to `stock`. */
export function tileByBroadcast(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const x = params.inputs.x;
  const { reps } = params.attrs as unknown as tf.TileAttrs;
  if (!(x instanceof tf.Tensor) || (x.dtype !== 'float32' && x.dtype !== 'int32')) return stock(params);
  if (!reps.every((r, i) => r === 1 || x.shape[i] === 1)) return stock(params);
  const shape = (x.shape as number[]).map((d, i) => d * reps[i]);
  return tf.tidy(() => tf.add(x, tf.fill(shape, 0, x.dtype)));
}
