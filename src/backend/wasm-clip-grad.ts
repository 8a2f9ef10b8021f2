// The gradient of ClipByValue (Keras' ReLU(max_value=6), every activation of MobileNetV2) is built
// from GreaterEqual, LessEqual, LogicalAnd and Select, which wasm runs through its slow boolean and
// broadcasting paths: a third of the time of a fine-tuning step's elementwise work. On wasm the
// same mask comes from Step, a fast float kernel: x >= min is 1 - step(min - x), x <= max is
// 1 - step(x - max). Every other backend keeps TF.js's own gradient.
import { tf } from './tf.js';

let installed = false;

export function registerWasmClipGradient(): void {
  const stock = tf.getGradient(tf.ClipByValue);
  if (installed || !stock) return;
  installed = true;
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== 'wasm') return stock.gradFunc(dy, saved, attrs);
      const [x] = saved;
      const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
      return { x: () => clipGradient(dy as tf.Tensor, x, clipValueMin, clipValueMax) };
    },
  });
}

export function clipGradient(dy: tf.Tensor, x: tf.Tensor, min: number, max: number): tf.Tensor {
  return tf.tidy(() => {
    const aboveMin = tf.sub(1, tf.step(tf.sub(min, x)));
    const belowMax = tf.sub(1, tf.step(tf.sub(x, max)));
    return tf.mul(dy, tf.mul(aboveMin, belowMax));
  });
}
