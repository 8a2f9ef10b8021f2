// The model bundle of a GraphModel image base. A graph cannot be joined to the trained head in one
// LayersModel, so the bundle holds both: base/model.json + base/weights.bin (the graph, its weights
// in one file in manifest order), model.json + weights.bin (the head: pooled features -> softmax),
// and preprocess.json naming the cut node. sha256sums.txt covers every file, so `finetune verify`
// checks the graph too.
import { loadLayersModel } from './export.js';
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../backend/tf.js';
import { ModelError } from '../errors.js';
import { verifyBundle } from '../bundle/manifest.js';
import type { DecodedImage } from '../data/types.js';
import type { Preprocess } from '../features/preprocess.js';
import { BATCH } from '../features/forward.js';
import { argmaxRows } from '../train/evaluate.js';
import { buildGraphBackbone, forwardGraph, type GraphBackbone } from './graph-base.js';
import { readModelSource, type ModelSource } from './source.js';

export const GRAPH_DIR = 'base';

/** What preprocess.json says about the graph, beside the image settings. */
export interface GraphBaseRef {
  format: 'graph-model';
  model: string;
  cut: string;
  /** The trained-on base's sha256 (model.json and weights, as in the report's fingerprint). */
  sha256: string;
  pooling: 'global average' | 'none';
  features: number;
}

export function graphBaseRef(b: GraphBackbone, source: ModelSource): GraphBaseRef {
  return {
    format: 'graph-model',
    model: `${GRAPH_DIR}/model.json`,
    cut: b.cut,
    sha256: source.sha256,
    pooling: b.outputShape.length === 3 ? 'global average' : 'none',
    features: b.featureDim,
  };
}

/** The graph's files for the bundle, relative to it. */
export function graphBaseFiles(source: ModelSource): Record<string, Uint8Array | string> {
  const modelJson = {
    format: 'graph-model',
    convertedBy: 'finetune-action',
    modelTopology: source.modelTopology,
    ...(source.signature ? { signature: source.signature } : {}),
    weightsManifest: [{ paths: ['weights.bin'], weights: source.weightSpecs }],
  };
  return { [`${GRAPH_DIR}/model.json`]: JSON.stringify(modelJson), [`${GRAPH_DIR}/weights.bin`]: new Uint8Array(source.weightData) };
}

export interface ImagePrediction {
  labels: string[];
  /** images.length rows of labels.length softmax probabilities. */
  probs: Float32Array;
  predicted: number[];
}

export interface GraphBundlePredictor {
  predict(images: DecodedImage[]): Promise<ImagePrediction>;
  dispose(): void;
}

/** True for a bundle whose preprocess.json names a GraphModel base. */
export function isGraphBundle(bundleDir: string): boolean {
  const pre = readJson(path.join(bundleDir, 'preprocess.json'), bundleDir) as { base?: { format?: unknown } };
  return pre.base?.format === 'graph-model';
}

/** Checks the manifest, reads the graph with the base-model checks, then predicts as the run did. */
export async function loadGraphBundle(bundleDir: string): Promise<GraphBundlePredictor> {
  const check = await verifyBundle(bundleDir);
  if (!check.ok) throw new ModelError(`${bundleDir}: bundle does not verify: ${check.problems.slice(0, 5).join('; ')}`);
  const pre = readJson(path.join(bundleDir, 'preprocess.json'), bundleDir) as Partial<Preprocess> & { base?: Partial<GraphBaseRef> };
  const ref = pre.base;
  if (ref?.format !== 'graph-model' || typeof ref.model !== 'string' || typeof ref.cut !== 'string' || !Array.isArray(pre.size)) {
    throw new ModelError(
      `${bundleDir}: preprocess.json does not describe a GraphModel image base (base.format, base.model, base.cut, size)`,
    );
  }
  const image: Preprocess = {
    size: pre.size as [number, number],
    channels: pre.channels ?? 3,
    scale: pre.scale ?? [-1, 1],
    resize: pre.resize ?? 'bilinear',
  };
  const labels = readJson(path.join(bundleDir, 'labels.json'), bundleDir) as string[];
  const graphJson = path.join(bundleDir, ref.model);
  const source = await readModelSource(ref.model, graphJson, { graph: true });
  const base = await buildGraphBackbone(source, { cut: ref.cut, size: image.size, channels: image.channels });
  const headSource = await readModelSource('model.json', path.join(bundleDir, 'model.json'));
  const head = await loadLayersModel(headSource);
  return {
    async predict(images) {
      const x = new Float32Array(images.length * base.featureDim);
      for (let start = 0; start < images.length; start += BATCH)
        x.set(await forwardGraph(base, images.slice(start, start + BATCH), image), start * base.featureDim);
      const out = tf.tidy(() => head.predict(tf.tensor2d(x, [images.length, base.featureDim])) as tf.Tensor);
      const probs = (await out.data()) as Float32Array;
      out.dispose();
      return { labels, probs, predicted: Array.from(argmaxRows(probs, labels.length)) };
    },
    dispose: () => {
      head.dispose();
      base.graph.dispose();
    },
  };
}

function readJson(file: string, bundleDir: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelError(`${bundleDir}: ${path.basename(file)} of the bundle is missing or not JSON (${(err as Error).message})`);
  }
}
