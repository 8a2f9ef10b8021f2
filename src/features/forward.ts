// One batch of decoded images through the frozen backbone (BatchNorm folded, see model/inference.ts):
// the same code on the main thread and in the feature workers, so both give bit-identical rows.
import { tf } from '../backend/tf.js';
import type { DecodedImage } from '../data/types.js';
import { imagesToTensor, type Preprocess } from './preprocess.js';
import { inferenceGraph } from '../model/inference.js';

/** Images per forward pass; the workers split the work on these boundaries too. */
export const BATCH = 32;

export async function forwardImages(model: tf.LayersModel, images: DecodedImage[], pre: Preprocess): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const y = inferenceGraph(model).run(imagesToTensor(images, pre));
    // A spatial output is averaged over height and width (global average pooling).
    return y.rank === 4 ? y.mean([1, 2]) : y;
  });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}
