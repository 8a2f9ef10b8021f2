// Cutting a base and rebuilding it for another input size: on the real example MobileNetV2 and on
// small models built here. Wrong layer names and impossible sizes are ModelErrors naming the key.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { silentLogger } from '../src/util/log.js';
import { readModelSource, type ModelSource } from '../src/model/source.js';
import { buildBackbone } from '../src/model/backbone.js';
import {
  assertResizable,
  cutTopology,
  defaultCut,
  inputShape,
  layerNames,
  modelConfigOf,
  withInputSize,
  type Topology,
} from '../src/model/topology.js';
import { denseSequential, EXAMPLE_MODEL_DIR, modelError, pooledFunctional, saveModel } from './helpers/models.js';

let mobilenet: ModelSource;
beforeAll(async () => {
  await selectBackend('cpu', silentLogger);
  mobilenet = await readModelSource('mobilenet_v2/model.json', path.join(EXAMPLE_MODEL_DIR, 'model.json'));
});

/** A ModelSource for a model built in this process. */
async function sourceOf(model: tf.LayersModel): Promise<ModelSource> {
  const saved = await saveModel(model);
  const manifest = saved.modelJson.weightsManifest as Array<{ weights: ModelSource['weightSpecs'] }>;
  const w = saved.weights;
  return {
    location: 'tiny/model.json',
    modelTopology: saved.modelJson.modelTopology,
    weightSpecs: manifest[0].weights,
    weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
    sha256: 'x',
    format: 'layers-model',
  };
}

describe('the example MobileNetV2', () => {
  it('cut at block_13_expand_relu at 96 px gives [6, 6, 576]', async () => {
    const b = await buildBackbone(mobilenet, { cut: 'block_13_expand_relu', size: [96, 96], channels: 3 });
    expect(b.inputShape).toEqual([96, 96, 3]);
    expect(b.outputShape).toEqual([6, 6, 576]);
    expect(b.featureDim).toBe(576);
    const y = tf.tidy(() => (b.model.predict(tf.zeros([1, 96, 96, 3])) as tf.Tensor).shape);
    expect(y).toEqual([1, 6, 6, 576]);
    expect(b.model.trainable).toBe(false);
    b.model.dispose();
  });

  it('the default cut is the layer before the last', async () => {
    const topology = modelConfigOf(mobilenet.modelTopology);
    const names = layerNames(topology);
    expect(defaultCut(topology)).toBe(names[names.length - 2]);
    const b = await buildBackbone(mobilenet, { channels: 3 });
    expect(b.cut).toBe('dropout_3');
    expect(b.inputShape).toEqual([224, 224, 3]);
    expect(b.outputShape).toEqual([128]);
    b.model.dispose();
  });

  it('the default cut at 96 px is refused: Flatten and Dense there depend on the size', async () => {
    const err = await modelError(() => buildBackbone(mobilenet, { size: [96, 96], channels: 3 }));
    expect(err.message).toMatch(/^model\.input\.size: /);
    expect(err.message).toContain('"flatten_1" (Flatten), "dense_1" (Dense)');
  });

  it('a cut naming no layer lists close names', async () => {
    const err = await modelError(() => buildBackbone(mobilenet, { cut: 'block_13_expand_rel', channels: 3 }));
    expect(err.message).toMatch(
      /^model\.cut: no layer named "block_13_expand_rel" in the base model \(162 layers\); close names: block_13_expand_relu, /,
    );
  });

  it('keeps only the layers the cut depends on', () => {
    const cut = cutTopology(modelConfigOf(mobilenet.modelTopology), 'block_1_project_BN');
    expect(layerNames(cut)).toContain('input_1');
    expect(layerNames(cut)).not.toContain('block_2_add');
    expect(cut.config.output_layers).toEqual([['block_1_project_BN', 0, 0]]);
  });

  it('another channel count than the base takes', async () => {
    const err = await modelError(() => buildBackbone(mobilenet, { cut: 'out_relu', channels: 1 }));
    expect(err.message).toBe('model.input.channels: the base takes 3 channels, the spec says 1');
  });
});

describe('small models', () => {
  it('a size change is refused when a Dense sits before the cut', async () => {
    const source = await sourceOf(denseSequential());
    const err = await modelError(() => buildBackbone(source, { size: [16, 16], channels: 3 }));
    expect(err.message).toBe(
      'model.input.size: the base can only be rebuilt for another size when it is convolutional up to the cut; layers "flat" (Flatten), "hidden" (Dense) depend on the input size (use the base\'s own size, or cut before them)',
    );
    const own = await buildBackbone(source, { channels: 3 });
    expect([own.cut, own.outputShape]).toEqual(['hidden', [8]]);
    const early = await buildBackbone(source, { cut: 'conv', size: [16, 16], channels: 3 });
    expect(early.outputShape).toEqual([14, 14, 4]);
  });

  it('Dense after global pooling does not depend on the size', async () => {
    const source = await sourceOf(pooledFunctional());
    const b = await buildBackbone(source, { cut: 'logits', size: [20, 12], channels: 3 });
    expect(b.outputShape).toEqual([2]);
    const y = tf.tidy(() => (b.model.predict(tf.ones([2, 20, 12, 3])) as tf.Tensor).shape);
    expect(y).toEqual([2, 2]);
  });

  it('broken topologies', async () => {
    await expect(modelError(() => modelConfigOf({ node: [] }))).resolves.toHaveProperty(
      'message',
      "model.base: model.json's modelTopology has no layers; a Keras/TF.js LayersModel is needed",
    );
    const noName = { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: {} }] } };
    expect((await modelError(() => modelConfigOf(noName))).message).toContain('layers[0] has no config.name');
    const one = modelConfigOf({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd' } }] } });
    expect((await modelError(() => defaultCut(one))).message).toContain('model.cut: the base model has fewer than two layers');
    expect((await modelError(() => inputShape(one))).message).toContain(
      'must declare an image input [batch, height, width, channels], got none',
    );
  });

  it('Keras 3 input layers (batch_shape) are read and resized', () => {
    const t: Topology = {
      class_name: 'Functional',
      config: {
        layers: [
          { class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 32, 32, 3] }, inbound_nodes: [] },
          { class_name: 'Conv2D', config: { name: 'c' }, inbound_nodes: [{ args: [{ config: { keras_history: ['in', 0, 0] } }] }] },
          { class_name: 'Dense', config: { name: 'd' }, inbound_nodes: [{ args: [{ config: { keras_history: ['c', 0, 0] } }] }] },
        ],
      },
    };
    expect(inputShape(t)).toEqual([32, 32, 3]);
    expect(inputShape(withInputSize(t, [64, 48], 3))).toEqual([64, 48, 3]);
    expect(() => assertResizable(cutTopology(t, 'c'))).not.toThrow();
    expect(() => assertResizable(t)).toThrow(/"d" \(Dense\)/);
  });
});
