// Pure edits of a Keras/TF.js LayersModel topology (model.json's modelTopology): cut at a layer
// and change the input size. Done on the JSON before loading, so layers past the cut (whose
// shapes depend on the input size) are never built.
import { ModelError } from '../errors.js';
import { editDistance } from '../spec/did-you-mean.js';

type Json = Record<string, unknown>;
interface LayerConfig {
  class_name: string;
  name?: string;
  /** Keras 2 writes batch_input_shape, Keras 3 batch_shape. */
  config: Json & { name: string; batch_input_shape?: Array<number | null>; batch_shape?: Array<number | null> };
  inbound_nodes?: unknown[];
}

export interface Topology {
  class_name: string;
  config: Json & { layers: LayerConfig[]; input_layers?: unknown[]; output_layers?: unknown[] };
}

export function modelConfigOf(modelTopology: unknown): Topology {
  const t = modelTopology as Json | undefined;
  const cfg = (t?.model_config ?? t) as Topology | undefined;
  if (!cfg || typeof cfg !== 'object' || !cfg.config || !Array.isArray(cfg.config.layers)) {
    throw new ModelError("model.base: model.json's modelTopology has no layers; a Keras/TF.js LayersModel is needed");
  }
  // Every later step looks layers up by name: a layer without one is a broken model.json.
  cfg.config.layers.forEach((l, i) => {
    if (!l || typeof l !== 'object' || !l.config || typeof l.config.name !== 'string') {
      throw new ModelError(`model.base: model.json's modelTopology layers[${i}] has no config.name`);
    }
  });
  return cfg;
}

export function layerNames(topology: Topology): string[] {
  return topology.config.layers.map((l) => l.config.name);
}

/** The default cut: the layer before the last. */
export function defaultCut(topology: Topology): string {
  const names = layerNames(topology);
  if (names.length < 2) throw new ModelError('model.cut: the base model has fewer than two layers, nothing to cut');
  return names[names.length - 2];
}

/** Keeps only the layers the cut layer depends on; the cut layer becomes the output. */
export function cutTopology(topology: Topology, cut: string): Topology {
  const layers = topology.config.layers;
  const byName = new Map(layers.map((l) => [l.config.name, l]));
  if (!byName.has(cut)) {
    const near = closestNames(cut, [...byName.keys()], 5);
    const hint = near.length ? `; close names: ${near.join(', ')}` : '';
    throw new ModelError(`model.cut: no layer named "${cut}" in the base model (${layers.length} layers)${hint}`);
  }
  if (topology.class_name === 'Sequential') {
    const end = layers.findIndex((l) => l.config.name === cut);
    return { ...topology, config: { ...topology.config, layers: layers.slice(0, end + 1) } };
  }
  const keep = ancestors(byName, cut);
  return {
    ...topology,
    config: { ...topology.config, layers: layers.filter((l) => keep.has(l.config.name)), output_layers: [[cut, 0, 0]] },
  };
}

function ancestors(byName: Map<string, LayerConfig>, start: string): Set<string> {
  const keep = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const name = stack.pop() as string;
    if (keep.has(name)) continue;
    keep.add(name);
    for (const inbound of inboundLayerNames(byName.get(name))) stack.push(inbound);
  }
  return keep;
}

/** Inbound node formats differ between Keras 2 ([[name, 0, 0, {}]]) and Keras 3 ({args: ...}). */
function inboundLayerNames(layer: LayerConfig | undefined): string[] {
  const names: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else v.forEach(visit);
    } else if (v && typeof v === 'object') {
      const keras3 = (v as Json).keras_history;
      if (Array.isArray(keras3) && typeof keras3[0] === 'string') names.push(keras3[0]);
      else Object.values(v).forEach(visit);
    }
  };
  visit(layer?.inbound_nodes ?? []);
  return names;
}

/** The base's own input shape [h, w, c] (null entries for free dimensions). */
export function inputShape(topology: Topology): Array<number | null> {
  const first = topology.config.layers[0];
  const shape = first?.config.batch_input_shape ?? first?.config.batch_shape;
  if (!Array.isArray(shape) || shape.length !== 4) {
    throw new ModelError(
      `model.base: the base model's first layer must declare an image input [batch, height, width, channels], got ${JSON.stringify(shape) ?? 'none'}`,
    );
  }
  return shape.slice(1);
}

/** Returns a copy whose input layer takes [size[0], size[1], channels]. */
export function withInputSize(topology: Topology, size: [number, number], channels: number): Topology {
  const [first, ...rest] = topology.config.layers;
  const key = first.config.batch_shape && !first.config.batch_input_shape ? 'batch_shape' : 'batch_input_shape';
  const newFirst = { ...first, config: { ...first.config, [key]: [null, size[0], size[1], channels] } };
  return { ...topology, config: { ...topology.config, layers: [newFirst, ...rest] } };
}

/** Layers whose weights and output rank do not depend on the input's height and width. */
const SIZE_AGNOSTIC =
  /^(InputLayer|Conv2D|DepthwiseConv2D|SeparableConv2D|Conv2DTranspose|BatchNormalization|ReLU|LeakyReLU|ELU|Activation|Add|Subtract|Multiply|Average|Maximum|Minimum|Concatenate|ZeroPadding2D|Cropping2D|UpSampling2D|MaxPooling2D|AveragePooling2D|Dropout|SpatialDropout2D|Rescaling)$/;
/** Their output no longer has height and width: whatever follows them sees a fixed size. */
const GLOBAL_POOL = /^Global(Average|Max)Pooling2D$/;

/**
 * A size other than the base's own works only when no layer up to the cut depends on it: every
 * layer that still sees the spatial map must be convolutional (Dense after global pooling is fine).
 */
export function assertResizable(topology: Topology): void {
  const spatial = new Set<string>();
  const bad: LayerConfig[] = [];
  topology.config.layers.forEach((l, i) => {
    const inputs = layerInputs(topology, i);
    // An input layer sees the image itself; any other layer sees it when one of its inputs does.
    if (inputs.length > 0 && !inputs.some((n) => spatial.has(n))) return;
    if (GLOBAL_POOL.test(l.class_name)) return;
    spatial.add(l.config.name);
    if (!SIZE_AGNOSTIC.test(l.class_name)) bad.push(l);
  });
  if (bad.length) {
    const named = bad
      .slice(0, 5)
      .map((l) => `"${l.config.name}" (${l.class_name})`)
      .join(', ');
    const more = bad.length > 5 ? ` and ${bad.length - 5} more` : '';
    throw new ModelError(
      `model.input.size: the base can only be rebuilt for another size when it is convolutional up to the cut; layers ${named}${more} depend on the input size (use the base's own size, or cut before them)`,
    );
  }
}

/** Names of the layers feeding layer i; a Sequential config has no inbound nodes, each takes the one before. */
function layerInputs(topology: Topology, i: number): string[] {
  const layers = topology.config.layers;
  if (topology.class_name === 'Sequential') return i === 0 ? [] : [layers[i - 1].config.name];
  return inboundLayerNames(layers[i]);
}

/** Up to `count` layer names nearest to a misspelt one, for the error message. */
function closestNames(input: string, names: string[], count: number): string[] {
  return names
    .map((name) => ({ name, d: editDistance(input.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, count)
    .map((x) => x.name);
}
