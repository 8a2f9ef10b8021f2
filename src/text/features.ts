// One feature vector per text: the text's words looked up in the word vectors and pooled
// (docs/text.md). Words not in the vectors are out of vocabulary: they are counted, not used.
import { tokenize, type TokenizerSettings } from './tokenizer.js';
import type { WordVectors } from './word-vectors.js';

export type Pooling = 'mean' | 'mean-max';

export interface TextFeatureSettings extends TokenizerSettings {
  pooling: Pooling;
}

export function featureDim(vectorDim: number, pooling: Pooling): number {
  return pooling === 'mean-max' ? 2 * vectorDim : vectorDim;
}

export interface TextCounts {
  texts: number;
  /** Words after max_tokens, the ones pooled or counted out of vocabulary. */
  tokens: number;
  oov_tokens: number;
  /** Texts longer than max_tokens words. */
  truncated_texts: number;
  /** Texts none of whose words has a vector: their feature vector is all zeros. */
  texts_without_known_words: number;
}

export const emptyCounts = (): TextCounts => ({ texts: 0, tokens: 0, oov_tokens: 0, truncated_texts: 0, texts_without_known_words: 0 });

/** What one text is made of: the rows of its known words (in text order) and its word counts. */
export interface TextAnalysis {
  rows: number[];
  tokens: number;
  dropped: number;
}

export function analyseText(text: string, s: TokenizerSettings, v: WordVectors): TextAnalysis {
  const { tokens, dropped } = tokenize(text, s);
  const rows: number[] = [];
  for (const t of tokens) {
    const r = v.index(t);
    if (r >= 0) rows.push(r);
  }
  return { rows, tokens: tokens.length, dropped };
}

/** Adds one text: `tokens` words after max_tokens, `known` of them with a vector, `dropped` past max_tokens. */
export function addText(c: TextCounts, tokens: number, known: number, dropped: number): void {
  c.texts++;
  c.tokens += tokens;
  c.oov_tokens += tokens - known;
  if (dropped > 0) c.truncated_texts++;
  if (known === 0) c.texts_without_known_words++;
}

/** Mean (and, for mean-max, then the element-wise max) of the known words' vectors; zeros when none is known. */
export function poolRows(rows: number[], v: WordVectors, pooling: Pooling): Float32Array {
  const d = v.dim;
  const out = new Float32Array(featureDim(d, pooling));
  if (rows.length === 0) return out;
  // Summed in float64 in word order, so the mean is the same on every machine and backend.
  const sum = new Float64Array(d);
  const max = new Float64Array(d).fill(-Infinity);
  for (const r of rows) {
    const base = r * d;
    for (let k = 0; k < d; k++) {
      const x = v.vectors[base + k];
      sum[k] += x;
      if (x > max[k]) max[k] = x;
    }
  }
  for (let k = 0; k < d; k++) out[k] = sum[k] / rows.length;
  if (pooling === 'mean-max') for (let k = 0; k < d; k++) out[d + k] = max[k];
  return out;
}

export function textFeatures(text: string, s: TextFeatureSettings, v: WordVectors, counts?: TextCounts): Float32Array {
  const a = analyseText(text, s, v);
  if (counts) addText(counts, a.tokens, a.rows.length, a.dropped);
  return poolRows(a.rows, v, s.pooling);
}

export function oovRate(c: TextCounts): number {
  return c.tokens === 0 ? 0 : c.oov_tokens / c.tokens;
}
