// The tokenizer and the pooling of word vectors (docs/text.md): deterministic rules, checked on
// hand-made inputs whose results can be worked out by hand.
import { describe, expect, it } from 'vitest';
import { tokenize } from '../src/text/tokenizer.js';
import { emptyCounts, oovRate, poolRows, textFeatures } from '../src/text/features.js';
import type { WordVectors } from '../src/text/word-vectors.js';

const TOK = { lowercase: true, max_tokens: 256 };

/** A table of 2-d vectors: the words and their rows given inline. */
function table(entries: Record<string, [number, number]>): WordVectors {
  const words = Object.keys(entries);
  const vectors = Float32Array.from(words.flatMap((w) => entries[w]));
  const index = new Map(words.map((w, i) => [w, i]));
  return { location: 'inline', file: 'inline', sha256: 'x', dim: 2, words, vectors, index: (w) => index.get(w) ?? -1 };
}

describe('tokenize', () => {
  it('lower-cases and splits on anything that is not a letter, mark or digit', () => {
    expect(tokenize("Hello, WORLD! It's 2024-11 (v2.0)", TOK).tokens).toEqual(['hello', 'world', 'it', 's', '2024', '11', 'v2', '0']);
  });

  it('keeps words of any script, with their combining marks', () => {
    expect(tokenize('Größe: naïve café — Привет мир, 東京 नमस्ते', TOK).tokens).toEqual([
      'größe',
      'naïve',
      'café',
      'привет',
      'мир',
      '東京',
      'नमस्ते',
    ]);
  });

  it('folds compatibility forms with NFKC: full-width letters, ligatures, superscripts', () => {
    expect(tokenize('ＦＵＬＬ ﬁne x²', TOK).tokens).toEqual(['full', 'fine', 'x2']);
    // Decomposed and precomposed é give the same word.
    expect(tokenize('cafe\u0301', TOK).tokens).toEqual(tokenize('caf\u00e9', TOK).tokens);
  });

  it('keeps case when lowercase is false', () => {
    expect(tokenize('Free MONEY now', { lowercase: false, max_tokens: 10 }).tokens).toEqual(['Free', 'MONEY', 'now']);
  });

  it('drops words past max_tokens and says how many', () => {
    expect(tokenize('a b c d e', { lowercase: true, max_tokens: 3 })).toEqual({ tokens: ['a', 'b', 'c'], dropped: 2 });
    expect(tokenize('a b', { lowercase: true, max_tokens: 3 })).toEqual({ tokens: ['a', 'b'], dropped: 0 });
  });

  it('gives no words for punctuation only', () => {
    expect(tokenize(' ... !!! ', TOK).tokens).toEqual([]);
  });
});

describe('pooling word vectors', () => {
  const v = table({ free: [1, 4], money: [3, -2], now: [-1, 0] });

  it('mean: the average of the known words, each occurrence counted', () => {
    const row = textFeatures('FREE money, free!', { ...TOK, pooling: 'mean' }, v);
    expect(Array.from(row)).toEqual([(1 + 3 + 1) / 3, (4 - 2 + 4) / 3].map(Math.fround));
  });

  it('mean-max: the mean, then the element-wise maximum', () => {
    const row = textFeatures('money now', { ...TOK, pooling: 'mean-max' }, v);
    expect(Array.from(row)).toEqual([1, -1, 3, 0]);
  });

  it('out-of-vocabulary words are counted, not pooled', () => {
    const counts = emptyCounts();
    const row = textFeatures('free unknownword money zzz', { ...TOK, pooling: 'mean' }, v, counts);
    expect(Array.from(row)).toEqual([2, 1]);
    expect(counts).toEqual({ texts: 1, tokens: 4, oov_tokens: 2, truncated_texts: 0, texts_without_known_words: 0 });
    expect(oovRate(counts)).toBe(0.5);
  });

  it('a text with no known word is all zeros and counted as such', () => {
    const counts = emptyCounts();
    expect(Array.from(textFeatures('nothing here', { ...TOK, pooling: 'mean-max' }, v, counts))).toEqual([0, 0, 0, 0]);
    expect(counts.texts_without_known_words).toBe(1);
    expect(Array.from(poolRows([], v, 'mean'))).toEqual([0, 0]);
  });

  it('max_tokens applies before pooling: later words do not count', () => {
    const counts = emptyCounts();
    const row = textFeatures('now free money', { lowercase: true, max_tokens: 2, pooling: 'mean' }, v, counts);
    expect(Array.from(row)).toEqual([0, 2]);
    expect(counts).toMatchObject({ tokens: 2, truncated_texts: 1 });
  });
});
