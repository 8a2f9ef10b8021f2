// Turns decoded images into the tensor the backbone takes: channels fixed, resized, scaled.
import { tf } from '../backend/tf.js';
import type { DecodedImage } from '../data/types.js';

export interface Preprocess {
  size: [number, number];
  channels: 1 | 3;
  scale: [number, number];
  resize: 'bilinear' | 'nearest';
}

/** A batch of images of any sizes -> float tensor [n, h, w, channels] in the scale range. */
export function imagesToTensor(images: DecodedImage[], p: Preprocess): tf.Tensor4D {
  return tf.tidy(() => {
    const resized = images.map((img) => resizeOne(img, p));
    const batch = tf.stack(resized) as tf.Tensor4D;
    const [lo, hi] = p.scale;
    return batch.mul((hi - lo) / 255).add(lo) as tf.Tensor4D;
  });
}

function resizeOne(img: DecodedImage, p: Preprocess): tf.Tensor3D {
  let t: tf.Tensor3D = tf.tensor3d(img.data, [img.height, img.width, img.channels], 'int32').toFloat();
  if (img.channels !== p.channels) {
    // Gray is replicated to RGB; RGB to gray uses the ITU-R 601 luma weights.
    t = p.channels === 3 ? tf.tile(t, [1, 1, 3]) : t.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(-1, true);
  }
  if (img.height === p.size[0] && img.width === p.size[1]) return t;
  // half-pixel centres: the convention of PIL, OpenCV and torchvision, so inputs match theirs.
  return p.resize === 'bilinear' ? tf.image.resizeBilinear(t, p.size, false, true) : tf.image.resizeNearestNeighbor(t, p.size, false, true);
}
