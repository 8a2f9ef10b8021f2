// Runs a frozen Keras model for inference with each BatchNormalization folded into the convolution
// before it, and the ReLU after that into the convolution's fused activation. On wasm a separate
// BatchNormalization costs as much as the convolution itself (MobileNetV2 has one after every
// convolution), and tfjs-layers never fuses ReLU6; folding removes both passes over every
// activation. Only frozen parts are run this way: the model's own layers, weights and export are
// left as they are.
import { tf } from '../backend/tf.js';

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

export function compile(model: tf.LayersModel): InferenceGraph {
  const layers = model.layers;
  const inbound = new Map(layers.map((l) => [l.name, inboundNames(l)]));
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
  const explicitPadding = ['wasm', 'cpu'].includes(tf.getBackend());
  for (const layer of explicitPadding ? layers : []) {
    if (!foldable(layer) || layer.getConfig().padding !== 'valid') continue;
    const pad = byName.get((inbound.get(layer.name) ?? [])[0]);
    const amounts = pad && pad.name !== outputName && onlyConsumer(pad.name) === layer ? zeroPadding(pad) : undefined;
    if (!pad || !amounts) continue;
    absorbedPad.set(layer.name, { input: (inbound.get(pad.name) ?? [])[0], pad: amounts });
    skip.add(pad.name);
  }
  const steps: Step[] = [];
  let folded = 0;
  for (const layer of layers) {
    if (skip.has(layer.name)) continue;
    const ins = inbound.get(layer.name) ?? [];
    if (ins.length === 0) continue; // the input layer: fed directly
    const bn = foldable(layer) && layer.name !== outputName ? onlyConsumer(layer.name) : undefined;
    if (!bn || !isChannelsLastBatchNorm(bn)) absorbedPad.delete(layer.name);
    if (bn && isChannelsLastBatchNorm(bn)) {
      const relu = bn.name !== outputName ? onlyConsumer(bn.name) : undefined;
      const activation = relu ? reluActivation(relu) : undefined;
      const names = [layer.name, bn.name, ...(relu && activation ? [relu.name] : [])];
      names.forEach((n) => skip.add(n));
      const absorbed = absorbedPad.get(layer.name);
      steps.push(foldedConv(layer, bn, activation ?? 'linear', names, absorbed ? [absorbed.input] : ins, absorbed?.pad));
      folded++;
      continue;
    }
    steps.push({ names: [layer.name], inputs: ins, run: (t) => layer.apply(t.length === 1 ? t[0] : t, { training: false }) as tf.Tensor, owned: [] });
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

const foldable = (l: Layer): boolean => {
  const cls = l.getClassName();
  if (cls !== 'Conv2D' && cls !== 'DepthwiseConv2D') return false;
  const c = l.getConfig();
  return c.activation === 'linear' && (c.dataFormat ?? 'channelsLast') === 'channelsLast' && inboundNames(l).length === 1;
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
function foldedConv(conv: Layer, bn: Layer, activation: Activation, names: string[], inputs: string[], explicitPad?: Padding): Step {
  const depthwise = conv.getClassName() === 'DepthwiseConv2D';
  const c = conv.getConfig() as Record<string, unknown>;
  const b = bn.getConfig() as Record<string, unknown>;
  const [kernel, bias] = conv.getWeights();
  const bnWeights = bn.getWeights();
  let k = 0;
  const gamma = b.scale === false ? undefined : bnWeights[k++];
  const beta = b.center === false ? undefined : bnWeights[k++];
  const [mean, variance] = [bnWeights[k], bnWeights[k + 1]];
  const [filter, shift] = tf.tidy(() => {
    let s = tf.rsqrt(variance.add(b.epsilon as number));
    if (gamma) s = s.mul(gamma);
    const w = depthwise ? kernel.mul(s.reshape([kernel.shape[2] as number, kernel.shape[3] as number])) : kernel.mul(s);
    let shifted = (bias ? bias.sub(mean) : mean.neg()).mul(s);
    if (beta) shifted = shifted.add(beta);
    return [tf.keep(w), tf.keep(shifted)];
  });
  const strides = c.strides as [number, number];
  const dilations = c.dilationRate as [number, number];
  const pad = explicitPad ?? (c.padding as 'valid' | 'same');
  const run = ([x]: tf.Tensor[]): tf.Tensor =>
    depthwise
      ? // The op's type leaves explicit padding out; its kernels take it (checked against predict in tests).
        tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides, pad: pad as 'valid', dilations, bias: shift, activation })
      : tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides, pad, dilations, bias: shift, activation });
  return { names, inputs, run, owned: [filter, shift] };
}

/** A channels-last ZeroPadding2D's amounts as explicit convolution padding. */
function zeroPadding(l: Layer): Padding | undefined {
  if (l.getClassName() !== 'ZeroPadding2D') return undefined;
  const c = l.getConfig();
  if ((c.dataFormat ?? 'channelsLast') !== 'channelsLast') return undefined;
  const [[top, bottom], [left, right]] = c.padding as [[number, number], [number, number]];
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

function inboundNames(layer: Layer): string[] {
  const node = (layer as unknown as { inboundNodes: Array<{ inboundLayers: Layer[] }> }).inboundNodes[0];
  return node ? node.inboundLayers.map((l) => l.name) : [];
}
