// Where a base model can be cut: layers whose output alone feeds every layer above them (inside a
// residual block, a branch that skips a layer makes it no candidate). `finetune validate` lists
// them with their output shapes, so choosing `model.cut` needs no other tool.
import type { tf } from '../backend/tf.js';
import { inboundNames } from './graph.js';

export interface CutCandidate {
  name: string;
  /** Output shape without the batch dimension, at the spec's input size. */
  shape: number[];
}

/** Every single-tensor point of the model, bottom to top, the input layer excluded. */
export function cutCandidates(model: tf.LayersModel): CutCandidate[] {
  const layers = model.layers;
  const index = new Map(layers.map((l, i) => [l.name, i]));
  const inputsOf = layers.map((l) => inboundNames(l, model).map((name) => index.get(name) as number));
  const out: CutCandidate[] = [];
  for (let s = 0; s < layers.length; s++) {
    if (inputsOf[s].length === 0) continue;
    // The tensors that cross from layers 0..s to the layers above: a candidate when only s's does.
    const crossing = new Set<number>();
    for (let j = s + 1; j < layers.length; j++) for (const i of inputsOf[j]) if (i <= s) crossing.add(i);
    if (crossing.size === 0 || (crossing.size === 1 && crossing.has(s))) out.push({ name: layers[s].name, shape: outputShape(layers[s]) });
  }
  return out;
}

function outputShape(layer: tf.layers.Layer): number[] {
  const shape = layer.outputShape as Array<number | null>;
  return shape.slice(1).map((d) => d ?? -1);
}
