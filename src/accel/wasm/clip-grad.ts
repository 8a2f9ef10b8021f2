// The gradient of ClipByValue (Keras' ReLU(max_value=6), every activation of MobileNetV2) is built
// from GreaterEqual, LessEqual, LogicalAnd and Select, which wasm runs through its slow boolean and
// broadcasting paths. On wasm it is one pass of a kernel of ours (kernels.wat), ClipByValueGradWasm:
// dy * (x >= min and x <= max ? 1 : 0), NaN where x is NaN. It computes what the ops
// dy * ((1 - step(min - x)) * (1 - step(x - max))) computed before it, bit for bit (a masked-out
// entry is -0 where dy < 0; the stock Select gives +0, equal as a number). Every other backend keeps
// TF.js's own gradient.
import { clipGradientInto } from '../kernels/shared-kernels.js';
import { tf } from '../../backend/tf.js';
import { computeOnHeap } from '../tfjs-internals.js';

const CLIP_GRAD_KERNEL = 'ClipByValueGradWasm';

let installed = false;
let enabled = false;

/** Whether ClipByValue's gradient on wasm runs in our kernel (from now on). */
export function setClipGradient(on: boolean): void {
  enabled = on;
  if (on) install();
}

function install(): void {
  const stock = tf.getGradient(tf.ClipByValue);
  if (installed || !stock) return;
  installed = true;
  tf.registerKernel({ kernelName: CLIP_GRAD_KERNEL, backendName: 'wasm', kernelFunc: clipGradKernel });
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      if (!enabled || tf.getBackend() !== 'wasm') return stock.gradFunc(dy, saved, attrs);
      const [x] = saved;
      return { x: () => clipGradient(dy as tf.Tensor, x, attrs as unknown as tf.ClipByValueAttrs) };
    },
  });
}

function clipGradient(dy: tf.Tensor, x: tf.Tensor, attrs: tf.ClipByValueAttrs): tf.Tensor {
  return tf.engine().runKernel(CLIP_GRAD_KERNEL, { dy, x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

function clipGradKernel({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const { clipValueMin: min, clipValueMax: max } = attrs as unknown as tf.ClipByValueAttrs;
  return computeOnHeap(backend, x.shape, [dy, x], (g, dyv, xv) => clipGradientInto(g, dyv, xv, min, max));
}
