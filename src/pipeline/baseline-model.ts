// gate.baseline.from: model — a baseline model bundle re-scored on this run's test set, so both
// models are compared example by example (paired) on exactly the same data.
import { loadLayersModel } from '../model/export.js';
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../backend/tf.js';
import { ConfigError, FinetuneError, ModelError } from '../errors.js';
import { verifyBundle } from '../bundle/manifest.js';
import { readModelSource } from '../model/source.js';
import { imagesToTensor, type Preprocess } from '../features/preprocess.js';
import { classificationMetrics, crossEntropy } from '../metrics/classification.js';
import { argmaxRows } from '../train/evaluate.js';
import type { Example } from '../data/types.js';
import type { LoadedBaseline } from './baseline.js';
import { loadTextPredictor } from '../text/bundle.js';
import { isGraphBundle, loadGraphBundle } from '../model/graph-bundle.js';

const BATCH = 64;

export interface RescoreInput {
  bundleDir: string;
  shownAs: string;
  classes: string[];
  test: Example[];
  testSetSha256: string;
  /** Text bundles: where their word vectors resolve (npm packages, repo files) and the table cache. */
  root?: string;
  cacheDir?: string;
}

export async function rescoreBaselineModel(input: RescoreInput): Promise<LoadedBaseline> {
  const { bundleDir, shownAs } = input;
  if (!fs.existsSync(bundleDir)) throw new ConfigError(`gate.baseline.path: model bundle ${shownAs} does not exist`);
  const check = await verifyBundle(bundleDir);
  if (!check.ok) throw new ModelError(`gate.baseline.path: bundle ${shownAs} does not verify: ${check.problems.slice(0, 5).join('; ')}`);
  const labels = readJson<string[]>(path.join(bundleDir, 'labels.json'), shownAs);
  if (labels.join('\n') !== input.classes.join('\n')) {
    throw new ConfigError(
      `gate.baseline.path: the baseline model's labels (${labels.join(', ')}) differ from this run's classes (${input.classes.join(', ')})`,
    );
  }
  const probs = isTextBundle(bundleDir, shownAs)
    ? await textProbs(input)
    : isGraphBundle(bundleDir)
      ? await graphProbs(input)
      : await layersProbs(input, labels.length);
  const yTrue = Int32Array.from(input.test, (e) => e.label);
  const yPred = argmaxRows(probs, labels.length);
  const result = classificationMetrics(yTrue, yPred, labels);
  const metrics = { ...result.metrics, loss: crossEntropy(probs, labels.length, yTrue) };
  return {
    report: { source: 'model', path: shownAs, metrics, per_class: result.perClass },
    model: { metrics, labels, test_set_sha256: input.testSetSha256, predictions: { y_true: Array.from(yTrue), y_pred: Array.from(yPred) } },
  };
}

function isTextBundle(dir: string, shownAs: string): boolean {
  return readJson<{ kind?: unknown }>(path.join(dir, 'preprocess.json'), shownAs).kind === 'text';
}

/** A text bundle predicts on the raw test texts (tokenizer and word vectors as its preprocess.json says). */
async function textProbs(input: RescoreInput): Promise<Float32Array> {
  if (input.test.some((e) => e.text === undefined))
    throw new ConfigError(`gate.baseline.path: ${input.shownAs} is a text model, but this run's test set is not text`);
  const predictor = await loadTextPredictor(input.bundleDir, { root: input.root ?? process.cwd(), cacheDir: input.cacheDir }).catch(
    (err: unknown) => {
      throw err instanceof FinetuneError ? new ModelError(`gate.baseline.path: ${err.message}`) : err;
    },
  );
  try {
    return (await predictor.predict(input.test.map((e) => e.text as string))).probs;
  } finally {
    predictor.dispose();
  }
}

/** A GraphModel-base bundle: the graph to its cut node, then the head (src/model/graph-bundle.ts). */
async function graphProbs(input: RescoreInput): Promise<Float32Array> {
  if (input.test.some((e) => e.image === undefined))
    throw new ConfigError(`gate.baseline.path: ${input.shownAs} is an image model, but this run's test set is not images`);
  const predictor = await loadGraphBundle(input.bundleDir).catch((err: unknown) => {
    throw err instanceof FinetuneError ? new ModelError(`gate.baseline.path: ${err.message}`) : err;
  });
  try {
    const k = input.classes.length;
    const probs = new Float32Array(input.test.length * k);
    // Decoded a batch at a time, as for LayersModel bundles.
    for (let start = 0; start < input.test.length; start += BATCH) {
      const batch = input.test.slice(start, start + BATCH).map((e) => (e.image as NonNullable<Example['image']>)());
      probs.set((await predictor.predict(batch)).probs, start * k);
    }
    return probs;
  } finally {
    predictor.dispose();
  }
}

async function layersProbs(input: RescoreInput, k: number): Promise<Float32Array> {
  const { bundleDir, shownAs } = input;
  const source = await readModelSource(shownAs, path.join(bundleDir, 'model.json'));
  const model = await loadLayersModel(source);
  try {
    return await predictAll(model, input.test, readPreprocess(bundleDir, shownAs), k);
  } finally {
    model.dispose();
  }
}

async function predictAll(model: tf.LayersModel, test: Example[], pre: Preprocess | undefined, k: number): Promise<Float32Array> {
  const probs = new Float32Array(test.length * k);
  for (let start = 0; start < test.length; start += BATCH) {
    const batch = test.slice(start, start + BATCH);
    const out = tf.tidy(() => model.predict(toInput(batch, pre)) as tf.Tensor);
    probs.set((await out.data()) as Float32Array, start * k);
    out.dispose();
  }
  return probs;
}

function toInput(batch: Example[], pre: Preprocess | undefined): tf.Tensor {
  if (pre)
    return imagesToTensor(
      batch.map((e) => (e.image as NonNullable<Example['image']>)()),
      pre,
    );
  const dim = batch[0].values?.length ?? 0;
  const data = new Float32Array(batch.length * dim);
  batch.forEach((e, i) => data.set(e.values as Float32Array, i * dim));
  return tf.tensor2d(data, [batch.length, dim]);
}

/** Image bundles say how their inputs were prepared; tabular bundles take raw feature rows. */
function readPreprocess(dir: string, shownAs: string): Preprocess | undefined {
  const p = readJson<Partial<Preprocess>>(path.join(dir, 'preprocess.json'), shownAs);
  if (!Array.isArray(p.size)) return undefined;
  return { size: p.size as [number, number], channels: p.channels ?? 3, scale: p.scale ?? [-1, 1], resize: p.resize ?? 'bilinear' };
}

function readJson<T>(file: string, shownAs: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new ModelError(`gate.baseline.path: ${shownAs}/${path.basename(file)} is missing or not JSON (${(err as Error).message})`);
  }
}
