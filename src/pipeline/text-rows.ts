// What both text bases (word vectors, a sentence encoder) do with their cached rows: each row is
// the text's features followed by its counts (words after max_tokens, known words, words dropped),
// split here into the three sets' features and the out-of-vocabulary counts the report shows.
import type { Dataset, Example } from '../data/types.js';
import type { TextReport } from '../domain/types.js';
import { addText, emptyCounts, oovRate, type TextCounts } from '../text/features.js';
import type { LabelledFeatures } from '../train/loop.js';

/** How many counts follow the features in a cached text row. */
export const TEXT_COUNTS = 3;

export interface TextRows {
  train: LabelledFeatures;
  validation: LabelledFeatures;
  test: LabelledFeatures;
  counts: TextReport['counts'];
  oovRate: TextReport['oov_rate'];
}

/** `rowOf` gives each example's cached row; it is called once per example, train first, then validation, then test. */
export function textRows(data: Dataset, dim: number, rowOf: (e: Example) => Float32Array): TextRows {
  const split = (examples: Example[], counts: TextCounts): LabelledFeatures => {
    const x = new Float32Array(examples.length * dim);
    examples.forEach((e, i) => {
      const row = rowOf(e);
      addText(counts, row[dim], row[dim + 1], row[dim + 2]);
      x.set(row.subarray(0, dim), i * dim);
    });
    return { x: { rows: examples.length, dim, data: x }, y: Int32Array.from(examples, (e) => e.label) };
  };
  const counts = { train: emptyCounts(), validation: emptyCounts(), test: emptyCounts() };
  const rows = {
    train: split(data.train, counts.train),
    validation: split(data.validation, counts.validation),
    test: split(data.test, counts.test),
  };
  const all = emptyCounts();
  for (const c of Object.values(counts)) for (const k of Object.keys(all) as Array<keyof TextCounts>) all[k] += c[k];
  return {
    ...rows,
    counts: { ...counts, all },
    oovRate: { train: oovRate(counts.train), validation: oovRate(counts.validation), test: oovRate(counts.test), all: oovRate(all) },
  };
}
