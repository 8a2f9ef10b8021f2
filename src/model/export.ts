// Builds the deployable model (backbone -> pooling -> trained head, softmax) and serialises it to
// model.json + one weights file. The head's input standardisation is folded into its first layer.
import { tf } from '../backend/tf.js';
import type { Backbone } from './backbone.js';
import type { Head } from '../train/head.js';
import type { ModelSource } from './source.js';

export interface SavedModel {
  modelJson: Record<string, unknown>;
  weights: Uint8Array;
}

/** Without a backbone (tabular data) the head takes the raw feature vector. */
export function buildFullModel(head: Head, backbone?: Backbone): tf.LayersModel {
  const inputs = backbone ? backbone.model.inputs : [tf.input({ shape: [head.mean.length], name: 'features' })];
  let h = (backbone ? backbone.model.outputs[0] : inputs[0]) as tf.SymbolicTensor;
  if (h.shape.length === 4) h = tf.layers.globalAveragePooling2d({ name: 'finetune_pool' }).apply(h) as tf.SymbolicTensor;
  const dense: tf.layers.Layer[] = [];
  head.layers.forEach((layer, i) => {
    const last = i === head.layers.length - 1;
    const d = tf.layers.dense({
      units: layer.bias.shape[0],
      activation: last ? 'softmax' : 'relu',
      name: last ? 'finetune_output' : `finetune_dense_${i}`,
    });
    h = d.apply(h) as tf.SymbolicTensor;
    dense.push(d);
  });
  const model = tf.model({ inputs, outputs: h, name: 'finetuned' });
  dense.forEach((d, i) => d.setWeights(foldedWeights(head, i)));
  return model;
}

/** Layer 0 sees raw features: W' = W / std (per input row), b' = b - (mean / std) W. */
function foldedWeights(head: Head, i: number): tf.Tensor[] {
  const { kernel, bias } = head.layers[i];
  if (i > 0) return [kernel.clone(), bias.clone()];
  return tf.tidy(() => {
    const invStd = tf.tensor1d(head.std).reciprocal();
    const w = kernel.mul(invStd.expandDims(1));
    const b = bias.sub(tf.tensor1d(head.mean).mul(invStd).expandDims(0).matMul(kernel).squeeze([0]));
    return [w, b];
  });
}

export async function serialiseModel(model: tf.LayersModel, weightsFile = 'weights.bin'): Promise<SavedModel> {
  let saved: SavedModel | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData as tf.io.WeightData);
      saved = {
        modelJson: {
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
          convertedBy: 'finetune-action',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs }],
        },
        weights: new Uint8Array(data),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('model.save produced nothing');
  return saved;
}

/** A LayersModel from a model.json already read and checked by readModelSource (a bundle's model, a baseline's). */
export function loadLayersModel(source: ModelSource): Promise<tf.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: source.modelTopology as object, weightSpecs: source.weightSpecs, weightData: source.weightData }),
  );
}
