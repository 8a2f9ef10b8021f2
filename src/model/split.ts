// Splits the cut base in two for fine-tuning its top. The lower part is frozen and runs once per
// image (its output flattened, so it is cached and computed in workers like any feature row); the
// upper part shares its layers, and so its weights, with the base: training it updates the model
// that is exported. Only the upper part is ever differentiated, which keeps memory within wasm's.
import { tf } from '../backend/tf.js';
import { ConfigError, ModelError } from '../errors.js';
import type { Backbone } from './backbone.js';
import { inboundNames } from './graph.js';
import type { FeatureMatrix } from '../features/extract.js';

export interface SplitBase {
  /** Image -> flattened activations of the split layer. */
  lower: tf.LayersModel;
  /** Flattened split activations -> the cut layer's output. */
  upper: tf.LayersModel;
  /** The last frozen layer whose output is the only thing the upper part reads. */
  split: string;
  splitShape: number[];
  /** Flattened length of the split activations. */
  splitDim: number;
  /** Base layers unfrozen for phase two, bottom to top. */
  trainableLayers: string[];
  /** Their trainable weights (kernels, biases, BatchNorm scale and offset). */
  variables: tf.Variable[];
  trainableParams: number;
}

/** Layers that own weights, in the base's (topological) order, up to the cut. */
export function weightedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.weights.length > 0);
}

/** `model.trainable`: the top N layers with weights, or the layers matching names / `*` patterns. */
export function selectTrainableLayers(model: tf.LayersModel, trainable: number | string[]): string[] {
  const weighted = weightedLayers(model);
  if (typeof trainable === 'number') {
    if (trainable > weighted.length) {
      throw new ConfigError(`model.trainable: ${trainable} is more than the ${weighted.length} layers with weights up to the cut`);
    }
    return weighted.slice(weighted.length - trainable).map((l) => l.name);
  }
  const chosen = new Set<string>();
  for (const pattern of trainable) {
    const re = globToRegExp(pattern);
    const hits = weighted.filter((l) => re.test(l.name));
    if (hits.length === 0) {
      const any = model.layers.some((l) => re.test(l.name));
      const why = any ? 'matches only layers without weights' : 'matches no layer up to the cut';
      throw new ConfigError(`model.trainable: "${pattern}" ${why} (layers with weights: ${sample(weighted.map((l) => l.name))})`);
    }
    hits.forEach((l) => chosen.add(l.name));
  }
  return weighted.filter((l) => chosen.has(l.name)).map((l) => l.name);
}

export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * The split layer: the latest layer below the first unfrozen one whose output is the only tensor
 * that crosses from below to above (a residual branch that skips over it moves the split lower).
 */
export function findSplit(model: tf.LayersModel, firstTrainable: string): number {
  const layers = model.layers;
  const index = new Map(layers.map((l, i) => [l.name, i]));
  const first = index.get(firstTrainable);
  if (first === undefined) throw new ModelError(`model.trainable: no layer "${firstTrainable}" in the base`);
  const inputsOf = layers.map((l) => inboundNames(l, model).map((name) => index.get(name) as number));
  for (let s = first - 1; s >= 0; s--) {
    const crossing = new Set<number>();
    for (let j = s + 1; j < layers.length; j++) for (const i of inputsOf[j]) if (i <= s) crossing.add(i);
    if (crossing.size === 1 && crossing.has(s)) return s;
  }
  throw new ModelError(`model.trainable: no single layer output feeds "${firstTrainable}" and everything above it; unfreeze fewer layers`);
}

export function splitBase(backbone: Backbone, trainable: number | string[]): SplitBase {
  const model = backbone.model;
  const trainableLayers = selectTrainableLayers(model, trainable);
  const s = findSplit(model, trainableLayers[0]);
  const splitLayer = model.layers[s];
  // Read before the upper part adds nodes to the shared layers (`output` needs a single node).
  const splitOutput = splitLayer.output as tf.SymbolicTensor;
  const splitShape = splitOutput.shape.slice(1) as number[];
  const splitDim = splitShape.reduce((a, b) => a * b, 1);
  const flat = tf.layers.flatten({ name: 'finetune_split_flatten' }).apply(splitOutput) as tf.SymbolicTensor;
  const lower = tf.model({ inputs: model.inputs, outputs: flat, name: 'finetune_lower' });
  const upper = buildUpper(model, s, splitShape, splitDim);
  const variables: tf.Variable[] = [];
  for (const name of trainableLayers) {
    const layer = model.getLayer(name);
    layer.trainable = true;
    for (const w of layer.trainableWeights) variables.push(w.read() as tf.Variable);
  }
  const trainableParams = variables.reduce((sum, v) => sum + v.size, 0);
  return { lower, upper, split: splitLayer.name, splitShape, splitDim, trainableLayers, variables, trainableParams };
}

/** Re-applies the layers above the split to a new input: new graph nodes, the same weights. */
function buildUpper(model: tf.LayersModel, s: number, splitShape: number[], splitDim: number): tf.LayersModel {
  const input = tf.input({ shape: [splitDim], name: 'finetune_split_input' });
  const outputs = new Map<string, tf.SymbolicTensor>();
  outputs.set(
    model.layers[s].name,
    tf.layers.reshape({ targetShape: splitShape, name: 'finetune_split_reshape' }).apply(input) as tf.SymbolicTensor,
  );
  const above = model.layers.slice(s + 1);
  // Inbound layers are read for all before any is re-applied (re-applying adds nodes).
  const inbound = above.map((l) => inboundNames(l, model));
  above.forEach((layer, k) => {
    const ins = inbound[k].map((name) => outputs.get(name) as tf.SymbolicTensor);
    outputs.set(layer.name, layer.apply(ins.length === 1 ? ins[0] : ins) as tf.SymbolicTensor);
  });
  const top = outputs.get(model.outputLayers[0].name) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: top, name: 'finetune_upper' });
}

function sample(names: string[]): string {
  const tail = names.slice(-6);
  return `${names.length > 6 ? '..., ' : ''}${tail.join(', ')}`;
}

/** model.trainable asks for phase two: a count above 0 or a list of names. */
export const unfreezesBase = (trainable: number | string[]): boolean =>
  typeof trainable === 'number' ? trainable > 0 : trainable.length > 0;

const POOL_BATCH = 128;

/** Rows of split activations through a part of the base, globally average-pooled like extracted features. */
export async function pooledFeatures(part: tf.LayersModel, x: FeatureMatrix): Promise<FeatureMatrix> {
  let dim = 0;
  const chunks: Float32Array[] = [];
  for (let start = 0; start < x.rows; start += POOL_BATCH) {
    const n = Math.min(POOL_BATCH, x.rows - start);
    const out = tf.tidy(() => {
      const y = part.predict(tf.tensor2d(x.data.subarray(start * x.dim, (start + n) * x.dim), [n, x.dim])) as tf.Tensor;
      return y.rank === 4 ? y.mean([1, 2]) : y;
    });
    dim = out.shape[1] as number;
    chunks.push((await out.data()) as Float32Array);
    out.dispose();
  }
  if (x.rows === 0) dim = (part.outputs[0].shape[part.outputs[0].shape.length - 1] as number) ?? 0;
  const data = new Float32Array(x.rows * dim);
  let offset = 0;
  for (const c of chunks) {
    data.set(c, offset);
    offset += c.length;
  }
  return { rows: x.rows, dim, data };
}
