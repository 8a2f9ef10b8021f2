// Stage for text-classification on a sentence encoder (a TF.js GraphModel): texts -> one encoder
// row each, cached per text with its piece counts (the out-of-vocabulary rate here is the share of
// pieces that were unknown characters).
import type { Dataset } from '../data/types.js';
import { textSettings, type Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { FeatureCache, featureKey } from '../features/cache.js';
import { loadSentenceEncoder } from '../text/encoder.js';
import { TOKENIZER, PIECES, encoderPreprocess } from '../text/bundle.js';
import type { TextReport } from '../domain/types.js';
import type { TextStage } from './text-features.js';
import { TEXT_COUNTS, textRows } from './text-rows.js';

export async function computeEncoderFeatures(
  spec: Spec,
  root: string,
  data: Dataset,
  opts: { cacheDir?: string; backend: string },
  log: Logger,
): Promise<TextStage> {
  const { lowercase, max_tokens } = textSettings(spec);
  const settings = { lowercase, max_tokens };
  const location = spec.model.base as string;
  const encoder = await loadSentenceEncoder(location, root);
  try {
    log.info(
      `sentence encoder: ${location}, ${encoder.vocab.size} pieces -> ${encoder.dim} features (sha256 ${encoder.sha256.slice(0, 12)})`,
    );
    const dim = encoder.dim;
    // Graph outputs may differ in the last bits between backends: the backend is part of the key.
    const key = featureKey({
      baseSha256: encoder.sha256,
      cut: 'sentence-encoder',
      preprocess: { pieces: PIECES, ...settings },
      backend: opts.backend,
    });
    const cache = opts.cacheDir ? new FeatureCache(opts.cacheDir, key, dim + TEXT_COUNTS) : undefined;
    const all = [...data.train, ...data.validation, ...data.test];
    const todo = [...new Map(all.filter((e) => !cache?.get(e.sha256)).map((e) => [e.sha256, e.text as string])).entries()];
    const counted: number[][] = [];
    const encoded = await encoder.encode(
      todo.map(([, t]) => t),
      settings,
      (p) => counted.push([p.ids.length, p.ids.length - p.unknown, p.dropped]),
    );
    const fresh = new Map<string, Float32Array>(
      todo.map(([sha], i) => {
        const row = new Float32Array(dim + TEXT_COUNTS);
        row.set(encoded.subarray(i * dim, (i + 1) * dim));
        row.set(counted[i], dim);
        return [sha, row];
      }),
    );
    cache?.addPack([...fresh.entries()]);
    const { train, validation, test, counts, oovRate } = textRows(
      data,
      dim,
      (e) => (fresh.get(e.sha256) ?? cache?.get(e.sha256)) as Float32Array,
    );
    const report: TextReport = {
      sentence_encoder: { source: location, sha256: encoder.sha256, vocab_size: encoder.vocab.size, dim },
      tokenizer: { normalisation: TOKENIZER.normalisation, word_pattern: PIECES, lowercase, max_tokens },
      pooling: 'encoder',
      oov_rate: oovRate,
      counts,
    };
    log.info(
      `text: ${todo.length} texts encoded, ${all.length - todo.length} from the cache; unknown characters ${(report.oov_rate.test * 100).toFixed(1)}% of the test pieces`,
    );
    return {
      train,
      validation,
      test,
      base: { sha256: encoder.sha256, frozenParams: encoder.params },
      preprocess: encoderPreprocess(settings, { location, sha256: encoder.sha256, vocabSize: encoder.vocab.size, dim }),
      report,
      computed: todo.length,
    };
  } finally {
    encoder.dispose();
  }
}
