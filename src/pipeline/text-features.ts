// Stage for text-classification: texts -> pooled word vectors (cached per text, like image
// features), with the out-of-vocabulary counts the report shows.
import type { Dataset, Example } from '../data/types.js';
import { textSettings, type Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { FeatureCache, featureKey } from '../features/cache.js';
import { countText, emptyCounts, featureDim, oovRate, textFeatures, type TextCounts, type TextFeatureSettings } from '../text/features.js';
import { loadWordVectors, resolveWordVectors, type WordVectors } from '../text/word-vectors.js';
import { TOKENIZER, textPreprocess } from '../text/bundle.js';
import type { LabelledFeatures } from '../train/loop.js';
import type { TextReport } from '../report/types.js';

export interface TextStage {
  train: LabelledFeatures;
  validation: LabelledFeatures;
  test: LabelledFeatures;
  vectors: WordVectors;
  settings: TextFeatureSettings;
  /** What preprocess.json of the bundle says: enough to predict on raw text. */
  preprocess: Record<string, unknown>;
  report: TextReport;
  computed: number;
}

export async function computeTextFeatures(spec: Spec, root: string, data: Dataset, cacheDir: string | undefined, log: Logger): Promise<TextStage> {
  const { field: _field, ...settings } = textSettings(spec);
  const started = Date.now();
  const source = await resolveWordVectors(spec.model.base as string, root);
  const vectors = loadWordVectors(source, cacheDir);
  log.info(`word vectors: ${spec.model.base}, ${vectors.words.length} words x ${vectors.dim} (sha256 ${source.sha256.slice(0, 12)}), loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const dim = featureDim(vectors.dim, settings.pooling);
  const key = featureKey({ baseSha256: source.sha256, cut: `text:${settings.pooling}`, preprocess: { ...TOKENIZER, lowercase: settings.lowercase, max_tokens: settings.max_tokens }, backend: 'any' });
  const cache = cacheDir ? new FeatureCache(cacheDir, key, dim) : undefined;
  let computed = 0;
  const fresh: Array<[string, Float32Array]> = [];
  const split = (examples: Example[], counts: TextCounts): LabelledFeatures => {
    const x = new Float32Array(examples.length * dim);
    examples.forEach((e, i) => {
      const text = e.text as string;
      let row = cache?.get(e.sha256);
      if (row) countText(text, settings, vectors, counts);
      else {
        row = textFeatures(text, settings, vectors, counts);
        fresh.push([e.sha256, row]);
        computed++;
      }
      x.set(row, i * dim);
    });
    return { x: { rows: examples.length, dim, data: x }, y: Int32Array.from(examples, (e) => e.label) };
  };
  const counts = { train: emptyCounts(), validation: emptyCounts(), test: emptyCounts() };
  const rows = { train: split(data.train, counts.train), validation: split(data.validation, counts.validation), test: split(data.test, counts.test) };
  // A text seen twice is computed twice but stored once.
  cache?.addPack([...new Map(fresh).entries()]);
  const report = textReport(spec, vectors, settings, counts);
  log.info(`text: out-of-vocabulary rate ${(report.oov_rate.train * 100).toFixed(1)}% (train), ${(report.oov_rate.test * 100).toFixed(1)}% (test); ${computed} texts pooled, ${data.train.length + data.validation.length + data.test.length - computed} from the cache`);
  return { ...rows, vectors, settings, preprocess: textPreprocess(settings, vectors), report, computed };
}

function textReport(spec: Spec, v: WordVectors, s: TextFeatureSettings, counts: Record<'train' | 'validation' | 'test', TextCounts>): TextReport {
  const all = emptyCounts();
  for (const c of Object.values(counts)) for (const k of Object.keys(all) as Array<keyof TextCounts>) all[k] += c[k];
  return {
    word_vectors: { source: spec.model.base as string, sha256: v.sha256, words: v.words.length, dim: v.dim },
    tokenizer: { ...TOKENIZER, lowercase: s.lowercase, max_tokens: s.max_tokens },
    pooling: s.pooling,
    oov_rate: { train: oovRate(counts.train), validation: oovRate(counts.validation), test: oovRate(counts.test), all: oovRate(all) },
    counts: { ...counts, all },
  };
}
