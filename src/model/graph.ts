// Reading a built LayersModel's graph, which tfjs-layers keeps in fields its types do not expose.
import type { tf } from '../backend/tf.js';

/**
 * The layers feeding `layer` in this model's graph. A layer shared with another model (the upper
 * part of a split base) has a node per model; the model's own is the one its container lists.
 */
export function inboundNames(layer: tf.layers.Layer, model: tf.LayersModel): string[] {
  const nodes = (layer as unknown as { inboundNodes: Array<{ inboundLayers: tf.layers.Layer[] }> }).inboundNodes;
  const own = (model as unknown as { containerNodes: Set<string> }).containerNodes;
  const index = nodes.findIndex((_, i) => own.has(`${layer.name}_ib-${i}`));
  const node = nodes[index >= 0 ? index : 0];
  return node ? node.inboundLayers.map((l) => l.name) : [];
}
