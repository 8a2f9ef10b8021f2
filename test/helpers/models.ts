// Small TF.js LayersModels for model tests, built with the project's own tfjs and saved the way
// tfjs saves them (model.json + one weights file).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { tf } from '../../src/backend/tf.js';
import { serialiseModel, type SavedModel } from '../../src/model/export.js';
import { EXIT, ModelError } from '../../src/errors.js';

export type SavedFiles = SavedModel;

/** Serialises a model the way the project writes bundles (model.json + one weights file). */
export const saveModel = (model: tf.LayersModel): Promise<SavedModel> => serialiseModel(model);

/** Runs `run` and returns the ModelError it throws (exit 2), failing when it throws nothing else. */
export async function modelError(run: () => unknown): Promise<ModelError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).exitCode).toBe(EXIT.BAD_INPUT);
    return err as ModelError;
  }
  throw new Error('expected a ModelError, but nothing was thrown');
}

/** 8x8x3 -> conv -> flatten -> dense(8) -> dense(3): a Dense sits before the default cut. */
export function denseSequential(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  });
}

/** 8x8x3 -> conv -> global average pooling -> dense(2): resizable up to any cut. */
export function pooledFunctional(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const conv = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'conv' }).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(conv) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'logits' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Writes model.json and its weights into `dir`; returns the model.json path. */
export function writeModelFiles(dir: string, files: SavedFiles, weightsFile = 'weights.bin'): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, weightsFile), files.weights);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(files.modelJson));
  return path.join(dir, 'model.json');
}

export const EXAMPLE_MODEL_DIR = path.resolve('examples/fashion-mnist/models/mobilenet_v2');
