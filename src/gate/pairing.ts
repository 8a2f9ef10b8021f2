// Turns stored per-example predictions into resampling input, and decides whether the
// candidate and the baseline can be compared example by example (paired).

import type { ResampleSet } from './bootstrap.js';
import type { EvaluatedModel } from './types.js';
import { confusionCodes } from './resample-metrics.js';
import { binomialUpperTail } from './stats.js';

function checkClassIndices(name: string, values: ArrayLike<number>, k: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new Error(`${name}[${i}] = ${v} is not a class index in 0..${k - 1}`);
    }
  }
}

/** The model's predictions as resampling input (every repeat when there are several), if usable. */
export function toResampleSet(model: EvaluatedModel | undefined, name: string): ResampleSet | undefined {
  const p = model?.predictions;
  if (!model || !p || p.y_true.length === 0 || p.y_pred.length !== p.y_true.length) return undefined;
  const k = model.labels.length;
  const n = p.y_true.length;
  const repeats = p.repeats?.filter((r) => r.length === n) ?? [];
  const arrays = repeats.length > 0 ? repeats : [p.y_pred];
  checkClassIndices(`${name} y_true`, p.y_true, k);
  arrays.forEach((a, i) => checkClassIndices(`${name} predictions (repeat ${i})`, a, k));
  return { n, k, codes: arrays.map((a) => confusionCodes(p.y_true, a, k)) };
}

export interface Pairing {
  paired: boolean;
  note?: string;
}

// Same hash, size, label set and labels in the same order: the same examples in the same order.
export function pairingOf(candidate: EvaluatedModel, baseline: EvaluatedModel): Pairing {
  const c = candidate.predictions;
  const b = baseline.predictions;
  if (!c || !b) return { paired: false };
  const sameHash = candidate.test_set_sha256 !== undefined && candidate.test_set_sha256 === baseline.test_set_sha256;
  if (!sameHash || c.y_true.length !== b.y_true.length) return { paired: false };
  if (candidate.labels.join('\n') !== baseline.labels.join('\n')) {
    return { paired: false, note: 'The baseline uses different labels; it was compared unpaired.' };
  }
  const sameTruth = c.y_true.every((y, i) => y === b.y_true[i]);
  if (!sameTruth) {
    return { paired: false, note: 'The test set hashes match but the stored labels differ; the comparison is unpaired.' };
  }
  return { paired: true };
}

export interface McNemarResult {
  /** Examples the baseline got right and the candidate wrong. */
  baselineOnly: number;
  /** Examples the candidate got right and the baseline wrong. */
  candidateOnly: number;
  /** One-sided exact p-value for "the candidate is less accurate". */
  p: number;
}

/** McNemar's exact test on the discordant pairs of the shipped predictions (y_pred). */
export function mcnemar(yTrue: ArrayLike<number>, candidate: ArrayLike<number>, baseline: ArrayLike<number>): McNemarResult {
  let baselineOnly = 0;
  let candidateOnly = 0;
  // Equivalent mutant: i <= length compares undefined with undefined, a pair both got right.
  for (let i = 0; i < yTrue.length; i++) {
    const c = candidate[i] === yTrue[i];
    const b = baseline[i] === yTrue[i];
    if (b && !c) baselineOnly++;
    else if (c && !b) candidateOnly++;
  }
  // Under "no difference" each discordant example is a fair coin.
  const p = binomialUpperTail(baselineOnly, baselineOnly + candidateOnly, 0.5);
  return { baselineOnly, candidateOnly, p };
}
