// A convolution with the BatchNormalization after it folded in (and the ReLU or ReLU6 after that),
// as one op with a gradient of its own, for layers that train (phase two): what the two folded
// convolutions (folded-pointwise.ts, folded-depthwise.ts) share. Left to the tape, the fold's few
// ops on the weights record about twenty more in the backward pass (a cast, a product, a sum and
// a reshape per input of each product). Here the forward pass runs the same ops as the tape did,
// so it gives the same values, and the backward pass runs the convolution's own gradients and
// the fold's chain rule on vectors and one [rows x channels] matrix: on wasm in our kernels on
// the backend's heap (each giving the bits of the ops it replaces), elsewhere as the same ops.
import { tf } from '../../backend/tf.js';
import { heapKernels } from '../tfjs-internals.js';
import type { FoldActivation, FoldWeights } from '../index.js';

export type { FoldActivation, FoldWeights };

/** What a folded convolution adds to the fold: its filter, its forward pass and its gradients. */
export interface FoldedConvolution {
  /** W s: the kernel with the scale folded into its output channels. */
  filter(kernel: tf.Tensor, s: tf.Tensor): tf.Tensor;
  /** The convolution of x by the folded filter, plus shift. */
  forward(x: tf.Tensor4D, filter: tf.Tensor, shift: tf.Tensor): tf.Tensor;
  /**
   * From g, the gradient of the forward pass's output (also as g2, [rows x channels]): the folded
   * filter's gradient as [kernel size / channels x channels], and x's where `inputGradient`.
   */
  backward(
    g: tf.Tensor,
    g2: tf.Tensor,
    x: tf.Tensor,
    kernel: tf.Tensor,
    filter: tf.Tensor,
    s: tf.Tensor,
  ): { dFilter: tf.Tensor; dx?: tf.Tensor };
}

/**
 * y = activation(conv(x, W s) + (b - mean) s + beta), s = gamma / sqrt(variance + epsilon), for x
 * NHWC. Differentiable in x, W, b, gamma and beta (mean and variance are moving statistics, never
 * trained). With `inputGradient` false, x's gradient is zeros: for an x that depends on no
 * trainable weight.
 */
export function foldedConvolution(
  x: tf.Tensor4D,
  w: FoldWeights,
  activation: FoldActivation,
  inputGradient: boolean,
  conv: FoldedConvolution,
): tf.Tensor4D {
  const trained = [w.kernel, w.bias, w.gamma, w.beta];
  const present = trained.filter((t): t is tf.Tensor => t !== undefined);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [input, kernel, ...rest] = args.slice(0, -1) as tf.Tensor[];
    const [bias, gamma, beta] = unpack(trained.slice(1), rest);
    // The ops, in order, of the fold in inference.ts: the same values to the bit.
    const { r, s, centred, shift } = foldVectors(w, bias, gamma, beta);
    const filter = conv.filter(kernel, s);
    const pre = conv.forward(input as tf.Tensor4D, filter, shift);
    const value = activation === 'relu6' ? tf.clipByValue(pre, 0, 6) : activation === 'relu' ? tf.relu(pre) : pre;
    save([input, kernel, filter, s, r, centred, pre]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ks, filterS, sS, rS, centredS, preS] = saved;
        const g = activationGradient(activation, dy as tf.Tensor, preS);
        const g2 = g.reshape([g.size / sS.size, sS.size]);
        const { dFilter, dx } = conv.backward(g, g2, xs, ks, filterS, sS);
        // On wasm the sums run in one pass (accel/wasm/sum.ts).
        const dShift = tf.sum(g2, 0);
        // s reaches y through the filter (W s) and the shift ((b - mean) s).
        const [dKernel, dsFilter] = foldGradient(dFilter, ks, sS);
        const grads: tf.Tensor[] = [dx ?? tf.zerosLike(xs), dKernel];
        if (bias) grads.push(dShift.mul(sS));
        if (gamma) grads.push(gammaGradient(dsFilter, dShift, centredS, rS));
        if (beta) grads.push(dShift);
        return grads;
      },
    };
  });
  return op(x, ...present) as tf.Tensor4D;
}

interface Fold {
  /** 1 / sqrt(variance + epsilon) */
  r: tf.Tensor;
  /** r gamma: the scale of the folded filter's output channels */
  s: tf.Tensor;
  /** bias - mean, or -mean */
  centred: tf.Tensor;
  /** centred s + beta: the folded bias */
  shift: tf.Tensor;
}

/** The fold's vectors: on wasm one pass of our kernel on the heap, elsewhere the ops (the same operations in the same order). */
function foldVectors(w: FoldWeights, bias?: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor): Fold {
  const heap = heapKernels(tf.backend());
  if (!heap) {
    const r = tf.rsqrt(w.variance.add(w.epsilon));
    const s = gamma ? r.mul(gamma) : r;
    const centred = bias ? bias.sub(w.mean) : w.mean.neg();
    return { r, s, centred, shift: beta ? centred.mul(s).add(beta) : centred.mul(s) };
  }
  const n = w.mean.size;
  const [r, s, centred, shift] = heap.tensors([[n], [n], [n], [n]], (...out) =>
    heap.kernels.foldVectors(
      heap.offset(w.variance),
      heap.offset(gamma),
      heap.offset(w.mean),
      heap.offset(bias),
      heap.offset(beta),
      w.epsilon,
      ...(out as [number, number, number, number]),
      n,
    ),
  );
  return { r, s, centred, shift };
}

/** gamma's gradient, (dsFilter + dShift centred) r: s reaches y through the filter and the shift. */
function gammaGradient(dsFilter: tf.Tensor, dShift: tf.Tensor, centred: tf.Tensor, r: tf.Tensor): tf.Tensor {
  const heap = heapKernels(tf.backend());
  if (!heap) return dsFilter.add(dShift.mul(centred)).mul(r);
  const at = [dsFilter, dShift, centred, r].map(heap.offset);
  return heap.tensors([r.shape], (out) => heap.kernels.foldVectorGrad(at[0], at[1], at[2], at[3], out, r.size))[0];
}

/** W s, s scaling W's last axis: on wasm one pass of our kernel on the heap, elsewhere a multiply. */
export function scaleColumns(w: tf.Tensor, s: tf.Tensor): tf.Tensor {
  const heap = heapKernels(tf.backend());
  if (!heap) return w.mul(s);
  return heap.tensors([w.shape], (out) => heap.kernels.scaleColumns(heap.offset(w), heap.offset(s), out, w.size / s.size, s.size))[0];
}

/**
 * From dF, the gradient of W s ([in x out]): W's gradient dF s (in W's shape) and s's through the
 * filter, the sum over rows of dF W. On wasm one pass of our kernel gives both, to the bits of the
 * multiplies and the sum it replaces.
 */
function foldGradient(dF: tf.Tensor, w: tf.Tensor, s: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const heap = heapKernels(tf.backend());
  if (!heap) return [dF.mul(s).reshape(w.shape), tf.sum(dF.mul(w.reshape(dF.shape)), 0)];
  const [dW, ds] = heap.tensors([w.shape, s.shape], (dWAt, dsAt) =>
    heap.kernels.foldGrad(heap.offset(dF), heap.offset(w), heap.offset(s), dWAt, dsAt, w.size / s.size, s.size),
  );
  return [dW, ds];
}

/** The optional weights back in their places: `given` holds those of `slots` that are present, in order. */
function unpack(slots: Array<tf.Tensor | undefined>, given: tf.Tensor[]): Array<tf.Tensor | undefined> {
  let next = 0;
  return slots.map((t) => (t ? given[next++] : undefined));
}

/** dy through the activation, by the gradients TF.js registers for it (ours for ReLU6 on wasm). */
function activationGradient(activation: FoldActivation, dy: tf.Tensor, pre: tf.Tensor): tf.Tensor {
  if (activation === 'linear') return dy;
  const kernel = activation === 'relu6' ? tf.ClipByValue : tf.Relu;
  const attrs = activation === 'relu6' ? { clipValueMin: 0, clipValueMax: 6 } : {};
  return registeredGradient(kernel, dy, [pre], attrs).x();
}

/** The gradients TF.js registers for `kernel`, of the inputs it saved, as that kernel's gradient computes them. */
export function registeredGradient(kernel: string, dy: tf.Tensor, saved: tf.Tensor[], attrs: object): Record<string, () => tf.Tensor> {
  const gradient = tf.getGradient(kernel);
  if (!gradient) throw new Error(`no gradient registered for ${kernel}`);
  return gradient.gradFunc(dy, saved, attrs as unknown as tf.NamedAttrMap);
}
