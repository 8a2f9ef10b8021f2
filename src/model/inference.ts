// Runs a frozen Keras model for inference with each BatchNormalization folded into the convolution
// before it, and the ReLU after that into the convolution's fused activation. On wasm a separate
// BatchNormalization costs as much as the convolution itself (MobileNetV2 has one after every
// convolution), and tfjs-layers never fuses ReLU6; folding removes both passes over every
// activation. Only frozen parts are run this way: the model's own layers, weights and export are
// left as they are.
import { tf } from '../backend/tf.js';
import { activeAccel, type DepthwiseGeometry } from '../accel/index.js';
import { inboundNames } from './graph.js';

type Layer = tf.layers.Layer;
type Activation = 'linear' | 'relu' | 'relu6';
/** NHWC explicit padding: [[0, 0], [top, bottom], [left, right], [0, 0]]. */
type Padding = [[number, number], [number, number], [number, number], [number, number]];

interface Step {
  /** Names this step's output is known by (a folded convolution answers for its BN and ReLU too). */
  names: string[];
  inputs: string[];
  run: (inputs: tf.Tensor[]) => tf.Tensor;
  /** Folded weights this step owns. */
  owned: tf.Tensor[];
}

export interface InferenceGraph {
  run(x: tf.Tensor): tf.Tensor;
  /** How many convolutions absorbed a BatchNormalization. */
  folded: number;
  dispose(): void;
}

const graphs = new WeakMap<tf.LayersModel, InferenceGraph>();

/** The folded graph of a model, built once per model object. */
export function inferenceGraph(model: tf.LayersModel): InferenceGraph {
  let g = graphs.get(model);
  if (!g) {
    g = compile(model);
    graphs.set(model, g);
  }
  return g;
}

export interface CompileOptions {
  /**
   * Fold on every call from the layers' current variables, inside the gradient tape, so the graph
   * can be trained (phase two): the BatchNorm scale and offset still get their gradients, through
   * cheap ops on the weights rather than passes over the activations.
   */
  trainable?: boolean;
}

export function compile(model: tf.LayersModel, opts: CompileOptions = {}): InferenceGraph {
  const layers = model.layers;
  const inbound = new Map(layers.map((l) => [l.name, inboundNames(l, model)]));
  const consumers = new Map<string, string[]>(layers.map((l) => [l.name, []]));
  for (const l of layers) for (const i of inbound.get(l.name) ?? []) consumers.get(i)?.push(l.name);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const onlyConsumer = (name: string): Layer | undefined => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 ? byName.get(c[0]) : undefined;
  };
  const outputName = model.outputLayers[0].name;
  const skip = new Set<string>();
  // A ZeroPadding2D read only by a 'valid' convolution becomes that convolution's explicit padding
  // (on the backends whose kernels are checked to take it).
  const absorbedPad = new Map<string, { input: string; pad: Padding }>();
  const explicitPadding = !opts.trainable && ['wasm', 'cpu'].includes(tf.getBackend());
  for (const layer of explicitPadding ? layers : []) {
    if (!foldable(layer) || (inbound.get(layer.name) ?? []).length !== 1 || layer.getConfig().padding !== 'valid') continue;
    const pad = byName.get((inbound.get(layer.name) ?? [])[0]);
    const amounts = pad && pad.name !== outputName && onlyConsumer(pad.name) === layer ? zeroPadding(pad) : undefined;
    if (!pad || !amounts) continue;
    absorbedPad.set(layer.name, { input: (inbound.get(pad.name) ?? [])[0], pad: amounts });
    skip.add(pad.name);
  }
  const steps: Step[] = [];
  let folded = 0;
  // In training, the outputs that depend on a trainable weight: only they need a gradient.
  const trainedBelow = new Set<string>();
  for (const layer of layers) {
    const ins = inbound.get(layer.name) ?? [];
    if (trains(layer) || ins.some((i) => trainedBelow.has(i))) trainedBelow.add(layer.name);
  }
  for (const layer of layers) {
    if (skip.has(layer.name)) continue;
    const ins = inbound.get(layer.name) ?? [];
    if (ins.length === 0) continue; // the input layer: fed directly
    const bn = foldable(layer) && ins.length === 1 && layer.name !== outputName ? onlyConsumer(layer.name) : undefined;
    if (!bn || !isChannelsLastBatchNorm(bn)) absorbedPad.delete(layer.name);
    if (bn && isChannelsLastBatchNorm(bn)) {
      const relu = bn.name !== outputName ? onlyConsumer(bn.name) : undefined;
      const activation = relu ? reluActivation(relu) : undefined;
      const names = [layer.name, bn.name, ...(relu && activation ? [relu.name] : [])];
      names.forEach((n) => skip.add(n));
      const absorbed = absorbedPad.get(layer.name);
      const inputGradient = ins.some((i) => trainedBelow.has(i));
      steps.push(
        foldedConv(layer, bn, activation ?? 'linear', names, absorbed ? [absorbed.input] : ins, {
          pad: absorbed?.pad,
          trainable: opts.trainable,
          inputGradient,
        }),
      );
      folded++;
      continue;
    }
    steps.push({
      names: [layer.name],
      inputs: ins,
      run: (t) => layer.apply(t.length === 1 ? t[0] : t, { training: false }) as tf.Tensor,
      owned: [],
    });
  }
  const inputName = layers.find((l) => (inbound.get(l.name) ?? []).length === 0)?.name as string;
  return {
    folded,
    run: (x) =>
      tf.tidy(() => {
        const values = new Map<string, tf.Tensor>([[inputName, x]]);
        for (const s of steps) {
          const y = s.run(s.inputs.map((n) => values.get(n) as tf.Tensor));
          s.names.forEach((n) => values.set(n, y));
        }
        return values.get(outputName) as tf.Tensor;
      }),
    dispose: () => steps.forEach((s) => tf.dispose(s.owned)),
  };
}

const trains = (l: Layer): boolean => l.trainable && l.trainableWeights.length > 0;

/** A 1x1 convolution with stride and dilation 1: no padding either way. */
const isPointwise = (c: Record<string, unknown>): boolean =>
  [c.kernelSize, c.strides, c.dilationRate].every((v) => Array.isArray(v) && v.length === 2 && v[0] === 1 && v[1] === 1);

const foldable = (l: Layer): boolean => {
  const cls = l.getClassName();
  if (cls !== 'Conv2D' && cls !== 'DepthwiseConv2D') return false;
  const c = l.getConfig();
  return c.activation === 'linear' && (c.dataFormat ?? 'channelsLast') === 'channelsLast';
};

function isChannelsLastBatchNorm(l: Layer): boolean {
  if (l.getClassName() !== 'BatchNormalization') return false;
  const axis = l.getConfig().axis;
  return axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3));
}

/** Keras ReLU(max_value=6) or a plain ReLU; anything else (a slope, a threshold) stays a layer. */
function reluActivation(l: Layer): Activation | undefined {
  if (l.getClassName() !== 'ReLU') return undefined;
  const max = l.getConfig().maxValue;
  if (max === null || max === undefined) return 'relu';
  return max === 6 ? 'relu6' : undefined;
}

/** W' = W * s, b' = (b - mean) * s + beta, with s = gamma / sqrt(var + eps), per output channel. */
function foldWeights(
  depthwise: boolean,
  eps: number,
  w: { kernel: tf.Tensor; bias?: tf.Tensor; gamma?: tf.Tensor; beta?: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor },
): [tf.Tensor, tf.Tensor] {
  let s = tf.rsqrt(w.variance.add(eps));
  if (w.gamma) s = s.mul(w.gamma);
  const filter = depthwise ? w.kernel.mul(s.reshape([w.kernel.shape[2] as number, w.kernel.shape[3] as number])) : w.kernel.mul(s);
  let shift = (w.bias ? w.bias.sub(w.mean) : w.mean.neg()).mul(s);
  if (w.beta) shift = shift.add(w.beta);
  return [filter, shift];
}

function foldedConv(
  conv: Layer,
  bn: Layer,
  activation: Activation,
  names: string[],
  inputs: string[],
  o: { pad?: Padding; trainable?: boolean; inputGradient?: boolean },
): Step {
  const depthwise = conv.getClassName() === 'DepthwiseConv2D';
  const c = conv.getConfig() as Record<string, unknown>;
  const b = bn.getConfig() as Record<string, unknown>;
  const [kernelVar, biasVar] = conv.weights;
  let k = 0;
  const gammaVar = b.scale === false ? undefined : bn.weights[k++];
  const betaVar = b.center === false ? undefined : bn.weights[k++];
  const [meanVar, varianceVar] = [bn.weights[k], bn.weights[k + 1]];
  const read = () => ({
    kernel: kernelVar.read(),
    bias: biasVar?.read(),
    gamma: gammaVar?.read(),
    beta: betaVar?.read(),
    mean: meanVar.read(),
    variance: varianceVar.read(),
    epsilon: b.epsilon as number,
  });
  const current = () => foldWeights(depthwise, b.epsilon as number, read());
  const frozen = o.trainable ? undefined : tf.tidy(() => current().map((t) => tf.keep(t)) as [tf.Tensor, tf.Tensor]);
  const strides = c.strides as [number, number];
  const dilations = c.dilationRate as [number, number];
  const pad = o.pad ?? (c.padding as 'valid' | 'same');
  // With acceleration, a folded convolution that trains has a gradient of its own (accel/fold/).
  const ops = o.trainable ? activeAccel().folded : undefined;
  if (ops && !depthwise && isPointwise(c) && (trains(conv) || trains(bn))) {
    return { names, inputs, run: ([x]) => ops.pointwise(x as tf.Tensor4D, read(), activation, o.inputGradient ?? true), owned: [] };
  }
  if (ops && depthwise && c.depthMultiplier === 1 && (trains(conv) || trains(bn))) {
    const geometry = { strides, pad: pad as DepthwiseGeometry['pad'], dilations };
    return {
      names,
      inputs,
      run: ([x]) => ops.depthwise(x as tf.Tensor4D, read(), activation, o.inputGradient ?? true, geometry),
      owned: [],
    };
  }
  // TF.js differentiates a fused convolution only with a linear or relu activation: ReLU6 follows it.
  const fused: Activation = o.trainable && activation === 'relu6' ? 'linear' : activation;
  const run = ([x]: tf.Tensor[]): tf.Tensor => {
    const [filter, bias] = frozen ?? current();
    const y = depthwise
      ? // The op's type leaves explicit padding out; its kernels take it (checked against predict in tests).
        tf.fused.depthwiseConv2d({
          x: x as tf.Tensor4D,
          filter: filter as tf.Tensor4D,
          strides,
          pad: pad as 'valid',
          dilations,
          bias,
          activation: fused,
        })
      : tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides, pad, dilations, bias, activation: fused });
    return fused === activation ? y : tf.clipByValue(y, 0, 6);
  };
  return { names, inputs, run, owned: frozen ?? [] };
}

/** A channels-last ZeroPadding2D's amounts as explicit convolution padding. */
function zeroPadding(l: Layer): Padding | undefined {
  if (l.getClassName() !== 'ZeroPadding2D') return undefined;
  const c = l.getConfig();
  if ((c.dataFormat ?? 'channelsLast') !== 'channelsLast') return undefined;
  const [[top, bottom], [left, right]] = c.padding as [[number, number], [number, number]];
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}
