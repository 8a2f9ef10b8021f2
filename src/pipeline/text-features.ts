// Stage for text-classification: texts -> pooled word vectors (cached per text, like image
// features), with the out-of-vocabulary counts the report shows. Each cached row also holds its
// text's word counts, and the vectors' shape is noted beside the rows, so a run whose texts are
// all cached only hashes the vectors file: it never parses or loads the table.
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../data/types.js';
import { textSettings, type Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { FeatureCache, featureKey } from '../features/cache.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { analyseText, featureDim, poolRows, type TextFeatureSettings } from '../text/features.js';
import { loadWordVectors, resolveWordVectors, type WordVectors } from '../text/word-vectors.js';
import { TOKENIZER, textPreprocess, type VectorsShape } from '../text/bundle.js';
import type { LabelledFeatures } from '../train/loop.js';
import type { TextReport } from '../domain/types.js';
import { isEncoderPath } from '../text/encoder.js';
import { computeEncoderFeatures } from './encoder-features.js';
import { TEXT_COUNTS, textRows, type TextRows } from './text-rows.js';

export interface TextStage {
  train: LabelledFeatures;
  validation: LabelledFeatures;
  test: LabelledFeatures;
  /** The frozen base (word vectors or a sentence encoder): its sha256 and size. */
  base: { sha256: string; frozenParams: number };
  /** What preprocess.json of the bundle says: enough to predict on raw text. */
  preprocess: Record<string, unknown>;
  report: TextReport;
  computed: number;
}

export async function computeTextFeatures(
  spec: Spec,
  root: string,
  data: Dataset,
  opts: { cacheDir?: string; backend: string },
  log: Logger,
): Promise<TextStage> {
  if (isEncoderPath(spec.model.base as string)) return computeEncoderFeatures(spec, root, data, opts, log);
  const { cacheDir } = opts;
  const { field: _field, ...settings } = textSettings(spec);
  const started = Date.now();
  const source = await resolveWordVectors(spec.model.base as string, root);
  const key = featureKey({
    baseSha256: source.sha256,
    cut: `text:${settings.pooling}`,
    preprocess: { ...TOKENIZER, lowercase: settings.lowercase, max_tokens: settings.max_tokens },
    backend: 'any',
  });
  const metaFile = cacheDir ? path.join(cacheDir, 'features', key, 'vectors.json') : undefined;
  let table: WordVectors | undefined;
  const load = (): WordVectors => {
    if (!table) {
      table = loadWordVectors(source, cacheDir);
      log.info(
        `word vectors: ${spec.model.base}, ${table.words.length} words x ${table.dim} (sha256 ${source.sha256.slice(0, 12)}), loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    return table;
  };
  const shape = readShape(metaFile) ?? shapeOf(load());
  const dim = featureDim(shape.dim, settings.pooling);
  const cache = cacheDir ? new FeatureCache(cacheDir, key, dim + TEXT_COUNTS) : undefined;
  let computed = 0;
  const fresh = new Map<string, Float32Array>();
  const rows = textRows(data, dim, (e) => {
    let row = cache?.get(e.sha256) ?? fresh.get(e.sha256);
    if (!row) {
      const v = load();
      const a = analyseText(e.text as string, settings, v);
      row = new Float32Array(dim + TEXT_COUNTS);
      row.set(poolRows(a.rows, v, settings.pooling));
      row.set([a.tokens, a.rows.length, a.dropped], dim);
      fresh.set(e.sha256, row);
      computed++;
    }
    return row;
  });
  cache?.addPack([...fresh.entries()]);
  if (metaFile && !fs.existsSync(metaFile)) writeFileAtomic(metaFile, JSON.stringify({ dim: shape.dim, words: shape.words }) + '\n');
  const vectors: VectorsShape = { location: spec.model.base as string, sha256: source.sha256, ...shape };
  const report = textReport(vectors, settings, rows);
  const total = data.train.length + data.validation.length + data.test.length;
  log.info(
    `text: out-of-vocabulary rate ${(report.oov_rate.train * 100).toFixed(1)}% (train), ${(report.oov_rate.test * 100).toFixed(1)}% (test); ${computed} texts pooled, ${total - computed} from the cache`,
  );
  const base = { sha256: source.sha256, frozenParams: shape.words * shape.dim };
  return {
    train: rows.train,
    validation: rows.validation,
    test: rows.test,
    base,
    preprocess: textPreprocess(settings, vectors),
    report,
    computed,
  };
}

function shapeOf(v: WordVectors): { dim: number; words: number } {
  return { dim: v.dim, words: v.words.length };
}

/** The shape noted beside cached rows; anything unreadable means "load the table". */
function readShape(file: string | undefined): { dim: number; words: number } | undefined {
  if (!file) return undefined;
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { dim?: unknown; words?: unknown };
    return Number.isInteger(m.dim) && (m.dim as number) > 0 && Number.isInteger(m.words)
      ? { dim: m.dim as number, words: m.words as number }
      : undefined;
  } catch {
    return undefined;
  }
}

function textReport(v: VectorsShape, s: TextFeatureSettings, rows: TextRows): TextReport {
  return {
    word_vectors: { source: v.location, sha256: v.sha256, words: v.words, dim: v.dim },
    tokenizer: { ...TOKENIZER, lowercase: s.lowercase, max_tokens: s.max_tokens },
    pooling: s.pooling,
    oov_rate: rows.oovRate,
    counts: rows.counts,
  };
}
