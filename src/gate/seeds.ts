// Training noise: a retrained head is a new random draw, so the gate measures how much
// the metric moves between seeds (gate.repeats) and adds that to the test-set noise.

import type { EvaluatedModel } from './types.js';
import { isResamplable, metricsOf } from './resample-metrics.js';
import { sampleVariance } from './stats.js';

/** Values of one metric across the model's repeats (empty when it was trained once). */
export function repeatValues(model: EvaluatedModel, metric: string): number[] {
  const fromMetrics = (model.repeat_metrics ?? []).map((m) => m[metric]).filter(Number.isFinite);
  if (fromMetrics.length > 0) return fromMetrics;
  const p = model.predictions;
  // Equivalent mutant: `p.repeats.length < 2` forced false gives one value for one repeat, which every caller
  // treats as none (runs > 1, K = max(1, n), a spread of more than one value).
  if (!p?.repeats || p.repeats.length < 2 || !isResamplable(metric)) return [];
  return p.repeats.filter((r) => r.length === p.y_true.length).map((r) => metricsOf(p.y_true, r, model.labels.length)[metric]);
}

export interface Spread {
  repeats: number;
  mean: number;
  min: number;
  max: number;
  sd: number;
}

export function spreadOf(values: readonly number[]): Spread {
  return {
    repeats: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
    sd: Math.sqrt(sampleVariance(values)),
  };
}

/** A variance component of the delta and the degrees of freedom of its estimate. */
export interface SeedTerm {
  variance: number;
  df: number;
}

/** One side's seed noise: the variance of one run (s^2, borrowed from the other side when trained once) and how many runs its number is the mean of. */
export interface SeedSide {
  perRun: number;
  runs: number;
}

export interface SeedNoise {
  terms: SeedTerm[];
  /** Set when one side was trained once and the other side's seed variance stands in for it. */
  borrowedFrom?: 'candidate' | 'baseline';
  /** Absent when neither side was trained more than once: training noise is not measured. */
  candidate?: SeedSide;
  baseline?: SeedSide;
}

/**
 * Variance of mean(candidate repeats) - mean(baseline repeats) due to seeds: s_c^2/K_c + s_b^2/K_b.
 * A side trained once (K = 1) has no spread of its own; the same head trained with another
 * seed varies as much as the other side's heads, so that side's s^2 stands in for both (one
 * term, s^2 (1/K_c + 1/K_b), with K - 1 degrees of freedom).
 */
export function seedNoise(candidate: readonly number[], baseline: readonly number[]): SeedNoise {
  const kc = Math.max(1, candidate.length);
  const kb = Math.max(1, baseline.length);
  if (kc >= 2 && kb >= 2) {
    const [sc, sb] = [sampleVariance(candidate), sampleVariance(baseline)];
    return {
      terms: [
        { variance: sc / kc, df: kc - 1 },
        { variance: sb / kb, df: kb - 1 },
      ],
      candidate: { perRun: sc, runs: kc },
      baseline: { perRun: sb, runs: kb },
    };
  }
  if (kc < 2 && kb < 2) return { terms: [] };
  const [own, k, from] = kc >= 2 ? [candidate, kc, 'candidate' as const] : [baseline, kb, 'baseline' as const];
  const s2 = sampleVariance(own);
  return {
    terms: [{ variance: s2 * (1 / kc + 1 / kb), df: k - 1 }],
    borrowedFrom: from,
    candidate: { perRun: s2, runs: kc },
    baseline: { perRun: s2, runs: kb },
  };
}
