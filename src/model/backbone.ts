// The pre-trained base, cut at `model.cut`, built for the input size the spec asks for.
import { tf } from '../backend/tf.js';
import { ModelError } from '../errors.js';
import type { ModelSource } from './source.js';
import { assertResizable, cutTopology, defaultCut, inputShape, modelConfigOf, withInputSize } from './topology.js';

export interface Backbone {
  model: tf.LayersModel;
  cut: string;
  /** [height, width, channels] the backbone takes. */
  inputShape: [number, number, number];
  /** Output shape of the cut layer without the batch dimension. */
  outputShape: number[];
  /** Length of one feature vector after pooling (spatial outputs are averaged). */
  featureDim: number;
  params: number;
}

export interface BackboneOptions {
  cut?: string;
  size?: [number, number];
  channels: number;
}

export async function buildBackbone(source: ModelSource, opts: BackboneOptions): Promise<Backbone> {
  const full = modelConfigOf(source.modelTopology);
  const cut = opts.cut ?? defaultCut(full);
  let topology = cutTopology(full, cut);
  const own = inputShape(topology);
  const size: [number, number] = opts.size ?? [own[0] ?? 224, own[1] ?? 224];
  if (own[2] !== null && own[2] !== undefined && own[2] !== opts.channels) {
    throw new ModelError(`model.input.channels: the base takes ${own[2]} channels, the spec says ${opts.channels}`);
  }
  if (size[0] !== own[0] || size[1] !== own[1]) {
    assertResizable(topology);
    topology = withInputSize(topology, size, opts.channels);
  }
  const modelTopology = { ...(source.modelTopology as object), model_config: topology };
  let model: tf.LayersModel;
  try {
    const handler = tf.io.fromMemory({ modelTopology, weightSpecs: source.weightSpecs, weightData: source.weightData });
    // strict: false because the layers after the cut (and their weights) were dropped.
    model = await tf.loadLayersModel(handler, { strict: false });
  } catch (err) {
    throw new ModelError(`model.base: ${source.location} could not be built: ${(err as Error).message}`);
  }
  model.trainable = false;
  const outputShape = (model.outputs[0].shape as Array<number | null>).slice(1).map((d) => d ?? -1);
  const featureDim = outputShape[outputShape.length - 1];
  return { model, cut, inputShape: [size[0], size[1], opts.channels], outputShape, featureDim, params: model.countParams() };
}
