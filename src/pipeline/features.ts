// Stage: examples -> feature matrices. Images go through the frozen backbone (cached per example);
// csv rows are their own features.
import path from 'node:path';
import type { Dataset, Example } from '../data/types.js';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { readModelSource, type ModelSource } from '../model/source.js';
import { buildBackbone, type Backbone } from '../model/backbone.js';
import { extractFeatures, type FeatureMatrix } from '../features/extract.js';
import { FeatureCache, featureKey } from '../features/cache.js';
import type { Preprocess } from '../features/preprocess.js';
import { isHttpsUrl } from '../spec/paths.js';
import type { LabelledFeatures } from '../train/loop.js';

export interface FeatureStage {
  train: LabelledFeatures;
  validation: LabelledFeatures;
  test: LabelledFeatures;
  backbone?: Backbone;
  source?: ModelSource;
  preprocess?: Preprocess;
  computed: number;
  seconds: number;
}

export interface FeatureOptions {
  cacheDir?: string;
  backend: string;
}

export async function loadBase(spec: Spec, root: string): Promise<{ source: ModelSource; backbone: Backbone; preprocess: Preprocess }> {
  const base = spec.model.base as string;
  const source = await readModelSource(base, isHttpsUrl(base) ? undefined : path.join(root, base));
  const input = spec.model.input;
  const backbone = await buildBackbone(source, { cut: spec.model.cut, size: input.size, channels: input.channels });
  const preprocess: Preprocess = { size: [backbone.inputShape[0], backbone.inputShape[1]], channels: input.channels, scale: input.scale, resize: input.resize };
  return { source, backbone, preprocess };
}

export async function computeFeatures(spec: Spec, root: string, data: Dataset, opts: FeatureOptions, log: Logger): Promise<FeatureStage> {
  const started = Date.now();
  if (spec.task === 'tabular-classification') {
    return { train: tabular(data.train), validation: tabular(data.validation), test: tabular(data.test), computed: 0, seconds: 0 };
  }
  const { source, backbone, preprocess } = await loadBase(spec, root);
  log.info(`base model: ${spec.model.base}, cut at ${backbone.cut} -> ${backbone.outputShape.join('x')} (${backbone.featureDim} features per image)`);
  const key = featureKey({ baseSha256: source.sha256, cut: backbone.cut, preprocess, backend: opts.backend });
  const cache = opts.cacheDir ? new FeatureCache(opts.cacheDir, key, backbone.featureDim) : undefined;
  const all = [...data.train, ...data.validation, ...data.test];
  const { features, computed } = await extractFeatures(backbone, all, preprocess, cache, log);
  const [tr, va] = [data.train.length, data.validation.length];
  return {
    train: slice(features, 0, tr, data.train),
    validation: slice(features, tr, tr + va, data.validation),
    test: slice(features, tr + va, all.length, data.test),
    backbone,
    source,
    preprocess,
    computed,
    seconds: (Date.now() - started) / 1000,
  };
}

function slice(f: FeatureMatrix, from: number, to: number, examples: Example[]): LabelledFeatures {
  return {
    x: { rows: to - from, dim: f.dim, data: f.data.subarray(from * f.dim, to * f.dim) },
    y: Int32Array.from(examples, (e) => e.label),
  };
}

function tabular(examples: Example[]): LabelledFeatures {
  const dim = examples[0]?.values?.length ?? 0;
  const data = new Float32Array(examples.length * dim);
  examples.forEach((e, i) => data.set(e.values as Float32Array, i * dim));
  return { x: { rows: examples.length, dim, data }, y: Int32Array.from(examples, (e) => e.label) };
}
