// Pure edits of a Keras/TF.js LayersModel topology (model.json's modelTopology): cut at a layer
// and change the input size. Done on the JSON before loading, so layers past the cut (whose
// shapes depend on the input size) are never built.
import { ModelError } from '../errors.js';
import { editDistance } from '../spec/did-you-mean.js';

type Json = Record<string, unknown>;
interface LayerConfig {
  class_name: string;
  name?: string;
  config: Json & { name: string; batch_input_shape?: Array<number | null> };
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
    throw new ModelError('model.json: modelTopology has no layers; a Keras/TF.js LayersModel is needed');
  }
  return cfg;
}

export function layerNames(topology: Topology): string[] {
  return topology.config.layers.map((l) => l.config.name);
}

/** The default cut: the layer before the last. */
export function defaultCut(topology: Topology): string {
  const names = layerNames(topology);
  if (names.length < 2) throw new ModelError('the base model has fewer than two layers: nothing to cut');
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
  const shape = first?.config.batch_input_shape;
  if (!shape) throw new ModelError('the base model does not declare an input shape (batch_input_shape)');
  return shape.slice(1);
}

/** Returns a copy whose input layer takes [size[0], size[1], channels]. */
export function withInputSize(topology: Topology, size: [number, number], channels: number): Topology {
  const [first, ...rest] = topology.config.layers;
  const shape = [null, size[0], size[1], channels];
  const newFirst = { ...first, config: { ...first.config, batch_input_shape: shape } };
  return { ...topology, config: { ...topology.config, layers: [newFirst, ...rest] } };
}

/** Layers that are allowed between the input and the cut when the input size changes. */
const SIZE_AGNOSTIC = /^(InputLayer|Conv2D|DepthwiseConv2D|SeparableConv2D|BatchNormalization|ReLU|Activation|Add|Concatenate|ZeroPadding2D|MaxPooling2D|AveragePooling2D|Dropout|Multiply|GlobalAveragePooling2D|GlobalMaxPooling2D)$/;

/** A size other than the base's own works only when every layer up to the cut is convolutional. */
export function assertResizable(topology: Topology): void {
  const bad = topology.config.layers.find((l) => !SIZE_AGNOSTIC.test(l.class_name));
  if (bad) {
    throw new ModelError(
      `model.input.size: the base can only be rebuilt for another size when it is convolutional up to the cut; layer "${bad.config.name}" is ${bad.class_name}`,
    );
  }
}

/** Up to `count` layer names nearest to a misspelt one, for the error message. */
function closestNames(input: string, names: string[], count: number): string[] {
  return names
    .map((name) => ({ name, d: editDistance(input.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, count)
    .map((x) => x.name);
}
