// Stage: examples -> feature matrices. Images go through the frozen backbone (cached per example);
// csv rows are their own features.
import path from 'node:path';
import type { Dataset, Example } from '../data/types.js';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { readModelSource, type ModelSource } from '../model/source.js';
import { buildBackbone, type Backbone } from '../model/backbone.js';
import { extractFeatures, type FeatureBase, type FeatureMatrix } from '../features/extract.js';
import { FeatureCache, featureKey } from '../features/cache.js';
import type { Preprocess } from '../features/preprocess.js';
import { isHttpsUrl } from '../spec/paths.js';
import type { LabelledFeatures } from '../train/loop.js';
import { computeAugmentedViews } from '../features/augmented.js';
import { pooledFeatures, splitBase, unfreezesBase, type SplitBase } from '../model/split.js';
import { computeTextFeatures, type TextStage } from './text-features.js';
import { buildGraphBackbone, forwardGraph, type GraphBackbone } from '../model/graph-base.js';
import { ConfigError } from '../errors.js';

export interface FeatureStage {
  train: LabelledFeatures;
  validation: LabelledFeatures;
  test: LabelledFeatures;
  /** train.augment: features of each augmented view of the training set, rows aligned with train. */
  trainViews?: FeatureMatrix[];
  /** model.trainable: the split base and the split activations phase two trains on. */
  finetune?: { split: SplitBase } & SplitRows;
  /** The frozen image base: a LayersModel cut at model.cut, or a GraphModel read at an output node. */
  backbone?: Backbone | GraphBackbone;
  source?: ModelSource;
  /** text-classification: the word vectors, tokenizer settings and counts. */
  text?: TextStage;
  preprocess?: Preprocess;
  computed: number;
  seconds: number;
}

interface SplitRows {
  train: LabelledFeatures;
  validation: LabelledFeatures;
  test: LabelledFeatures;
  trainViews?: FeatureMatrix[];
}

export interface FeatureOptions {
  cacheDir?: string;
  backend: string;
  /** A cancelled run stops between batches; the rows done so far stay in the cache. */
  signal?: AbortSignal;
}

export async function loadBase(
  spec: Spec,
  root: string,
): Promise<{ source: ModelSource; backbone: Backbone | GraphBackbone; preprocess: Preprocess }> {
  const base = spec.model.base as string;
  const source = await readModelSource(base, isHttpsUrl(base) ? undefined : path.join(root, base), { graph: 'allow' });
  const input = spec.model.input;
  if (source.format === 'graph-model' && unfreezesBase(spec.model.trainable)) {
    throw new ConfigError(
      `model.trainable: phase two unfreezing needs a LayersModel base; model.base (${base}) is a TF.js GraphModel, which is frozen (inference only). ` +
        'Set model.trainable to 0 to train a head on it, or convert the base with --output_format tfjs_layers_model',
    );
  }
  const opts = { cut: spec.model.cut, size: input.size, channels: input.channels };
  const backbone = source.format === 'graph-model' ? await buildGraphBackbone(source, opts) : await buildBackbone(source, opts);
  const preprocess: Preprocess = {
    size: [backbone.inputShape[0], backbone.inputShape[1]],
    channels: input.channels,
    scale: input.scale,
    resize: input.resize,
  };
  return { source, backbone, preprocess };
}

export async function computeFeatures(spec: Spec, root: string, data: Dataset, opts: FeatureOptions, log: Logger): Promise<FeatureStage> {
  const started = Date.now();
  if (spec.task === 'tabular-classification') {
    return { train: tabular(data.train), validation: tabular(data.validation), test: tabular(data.test), computed: 0, seconds: 0 };
  }
  if (spec.task === 'text-classification') {
    const text = await computeTextFeatures(spec, root, data, opts, log);
    return {
      train: text.train,
      validation: text.validation,
      test: text.test,
      text,
      computed: text.computed,
      seconds: (Date.now() - started) / 1000,
    };
  }
  const { source, backbone, preprocess } = await loadBase(spec, root);
  log.info(
    `base model: ${spec.model.base}, cut at ${backbone.cut} -> ${backbone.outputShape.join('x')} (${backbone.featureDim} features per image)`,
  );
  const split = unfreezesBase(spec.model.trainable) && !isGraphBackbone(backbone) ? splitBase(backbone, spec.model.trainable) : undefined;
  // With unfrozen layers the cached rows are the frozen part's output at the split, not pooled features.
  const extractor: FeatureBase = isGraphBackbone(backbone)
    ? { featureDim: backbone.featureDim, forward: (images, pre) => forwardGraph(backbone, images, pre) }
    : split
      ? { model: split.lower, featureDim: split.splitDim }
      : backbone;
  if (split)
    log.info(
      `model.trainable: ${split.trainableLayers.length} layers unfrozen; the frozen part up to ${split.split} runs once per image (${split.splitShape.join('x')} activations)`,
    );
  const key = featureKey({
    baseSha256: source.sha256,
    cut: split ? `split:${split.split}` : backbone.cut,
    preprocess,
    backend: opts.backend,
  });
  const cache = opts.cacheDir ? new FeatureCache(opts.cacheDir, key, extractor.featureDim) : undefined;
  const all = [...data.train, ...data.validation, ...data.test];
  const { features, computed } = await extractFeatures(extractor, all, preprocess, cache, log, { signal: opts.signal });
  const augment = spec.train.augment;
  const aug =
    augment &&
    (await computeAugmentedViews({
      base: extractor,
      examples: data.train,
      pre: preprocess,
      augment,
      seed: spec.seed,
      cache: opts.cacheDir ? { dir: opts.cacheDir, featureKey: key } : undefined,
      log,
    }));
  const [tr, va] = [data.train.length, data.validation.length];
  const rows = {
    train: slice(features, 0, tr, data.train),
    validation: slice(features, tr, tr + va, data.validation),
    test: slice(features, tr + va, all.length, data.test),
    trainViews: aug?.views,
  };
  const phaseOne = split ? await poolThroughUpper(split, rows) : rows;
  return {
    ...phaseOne,
    ...(split ? { finetune: { split, ...rows } } : {}),
    backbone,
    source,
    preprocess,
    computed: computed + (aug?.computed ?? 0),
    seconds: (Date.now() - started) / 1000,
  };
}

export const isGraphBackbone = (b: Backbone | GraphBackbone): b is GraphBackbone => 'kind' in b && b.kind === 'graph';

/** sha256 of the frozen base the features came from (a model or word vectors), or 'none'. */
export function baseSha256(feats: FeatureStage): string {
  return feats.source?.sha256 ?? feats.text?.base.sha256 ?? 'none';
}

/** Phase one trains on pooled features at the cut: the split activations through the (still pre-trained) upper part. */
async function poolThroughUpper(split: SplitBase, rows: SplitRows): Promise<SplitRows> {
  const pool = async (m: FeatureMatrix) => pooledFeatures(split.upper, m);
  const labelled = async (d: LabelledFeatures) => ({ x: await pool(d.x), y: d.y });
  return {
    train: await labelled(rows.train),
    validation: await labelled(rows.validation),
    test: await labelled(rows.test),
    trainViews: rows.trainViews && (await Promise.all(rows.trainViews.map(pool))),
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
