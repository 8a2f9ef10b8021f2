// Features of the augmented training views: every training image, transformed `views` times with
// seeded augmentation, through the frozen base. A view's features differ from the plain image's,
// so they have their own cache, keyed by the augmentation settings and seed, one row per
// (image, view). The main thread augments the pixels and sends them to the feature workers, so
// rows do not depend on how many workers there are.
import type { Example } from '../data/types.js';
import { augmentView, type AugmentSettings } from '../data/augment.js';
import type { Logger } from '../util/log.js';
import { sha256 } from '../util/hash.js';
import { FeatureCache } from './cache.js';
import { extractFeatures, type ExtractOptions, type FeatureBase, type FeatureMatrix } from './extract.js';
import type { Preprocess } from './preprocess.js';

/** Bumped when a transform changes, so rows cached by the old code are not reused. */
const TRANSFORMS_VERSION = 1;

export interface AugmentConfig extends AugmentSettings {
  views: number;
}

export interface AugmentJob {
  base: FeatureBase;
  /** The training examples; validation and test are never augmented. */
  examples: Example[];
  pre: Preprocess;
  augment: AugmentConfig;
  /** The spec's seed: views are the same across repeats and runs. */
  seed: number;
  /** Where the cache lives and the key of the plain features (base, cut, preprocessing, backend). */
  cache?: { dir: string; featureKey: string };
  log: Logger;
  extract?: ExtractOptions;
}

export interface AugmentedFeatures {
  /** One matrix per view, rows aligned with `examples`. */
  views: FeatureMatrix[];
  /** Rows computed now (not from the cache). */
  computed: number;
}

/** Everything that changes a view's row besides the image and the view index. */
export function augmentKey(featureKey: string, a: AugmentSettings, seed: number): string {
  const transforms = { flip: a.flip, crop: a.crop, brightness: a.brightness, contrast: a.contrast };
  return sha256(JSON.stringify({ featureKey, transforms, seed, version: TRANSFORMS_VERSION })).slice(0, 32);
}

/** The cache id of view `view` of an example. The view count is left out: more views reuse the first ones. */
export const viewRowId = (exampleSha256: string, view: number): string => `${exampleSha256}#${view}`;

export async function computeAugmentedViews(job: AugmentJob): Promise<AugmentedFeatures> {
  const { examples, augment: a } = job;
  const cache = job.cache && new FeatureCache(job.cache.dir, augmentKey(job.cache.featureKey, a, job.seed), job.base.featureDim);
  const viewExamples = Array.from({ length: a.views }, (_, v) => examples.map((e) => viewExample(e, v, job))).flat();
  const cached = cache ? viewExamples.filter((e) => cache.get(e.sha256)).length : 0;
  job.log.info(describe(a, examples.length, viewExamples.length - cached));
  const { features, computed } = await extractFeatures(job.base, viewExamples, job.pre, cache, job.log, job.extract);
  const n = examples.length * features.dim;
  const views = Array.from({ length: a.views }, (_, v) => ({
    rows: examples.length,
    dim: features.dim,
    data: features.data.subarray(v * n, (v + 1) * n),
  }));
  return { views, computed };
}

// No `file`: a worker would decode the file itself and miss the augmentation.
function viewExample(e: Example, view: number, job: AugmentJob): Example {
  const image = e.image;
  if (!image) throw new Error(`${e.id}: augmentation needs an image`);
  return {
    id: `${e.id}#view${view}`,
    label: e.label,
    sha256: viewRowId(e.sha256, view),
    image: () => augmentView(image(), job.augment, job.seed, e.sha256, view),
  };
}

function describe(a: AugmentConfig, images: number, todo: number): string {
  const on = [
    a.flip && 'flip',
    a.crop > 0 && `crop ${a.crop}`,
    a.brightness > 0 && `brightness ${a.brightness}`,
    a.contrast > 0 && `contrast ${a.contrast}`,
  ].filter(Boolean);
  return (
    `augmentation on (${on.join(', ')}): ${a.views} seeded views of each of the ${images} training images; ` +
    `the plain per-image features are not reused for them, so they cost ${a.views} more base passes over the training set on a cold cache ` +
    `(${todo} of ${a.views * images} view rows to compute now); validation and test are not augmented`
  );
}
