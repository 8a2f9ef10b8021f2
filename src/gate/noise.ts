// How noisy is candidate - baseline? Two sources add up: which examples happen to be in the
// test set (bootstrap) and which random draw each training run was (seed spread over repeats).

import { bootstrapMeans, replicateVariance, type ResampleSet } from './bootstrap.js';
import { mcnemar, pairingOf, toResampleSet, type McNemarResult } from './pairing.js';
import { createStreamRng } from '../util/random.js';
import { RESAMPLABLE_METRICS, isResamplable } from './resample-metrics.js';
import { repeatValues, seedNoise, spreadOf, type SeedNoise, type SeedTerm, type Spread } from './seeds.js';
import type { EvaluatedModel, GateConfig } from './types.js';

export type Comparison = 'paired' | 'unpaired' | 'candidate-only' | 'none';

export interface MetricNoise {
  /** Standard error of the delta; undefined when nothing measures the noise (point comparison). */
  se?: number;
  /** Degrees of freedom behind se: Infinity unless seed variances come from a few repeats. */
  df: number;
  /** The test-set sampling part of se^2 (bootstrap or binomial), when per-example results measure it. */
  testVariance?: number;
  /** Test examples behind testVariance (the candidate's). */
  examples?: number;
  seed: SeedNoise;
  mcnemar?: McNemarResult;
}

export interface NoiseModel {
  comparison: Comparison;
  perMetric: Record<string, MetricNoise>;
  method: string;
  notes: string[];
}

export const DEFAULT_BOOTSTRAP_SAMPLES = 2000;

type Variances = Map<string, number>;

function bootstrapVariances(comparison: Comparison, c: ResampleSet, b: ResampleSet | undefined, samples: number, seed: number): Variances {
  const rng = createStreamRng(seed);
  const out: Variances = new Map();
  if (comparison === 'paired' && b) {
    const [rc, rb] = bootstrapMeans([c, b], samples, rng);
    RESAMPLABLE_METRICS.forEach((m, i) => out.set(m, replicateVariance(rc, rb, i)));
    return out;
  }
  const [rc] = bootstrapMeans([c], samples, rng);
  // Equivalent mutant: forcing `comparison === 'unpaired'` true changes nothing, as a candidate-only comparison has no b.
  const rb = comparison === 'unpaired' && b ? bootstrapMeans([b], samples, rng)[0] : undefined;
  // Without the baseline's examples, assume its variance equals the candidate's.
  RESAMPLABLE_METRICS.forEach((m, i) => {
    const vc = replicateVariance(rc, undefined, i);
    out.set(m, vc + (rb ? replicateVariance(rb, undefined, i) : vc));
  });
  return out;
}

// Binomial variance for accuracy when only the baseline's number is known.
function binomialAccuracyVariance(candidate: EvaluatedModel, baseline: EvaluatedModel, n: number): number | undefined {
  const pc = candidate.metrics.accuracy;
  const pb = baseline.metrics.accuracy;
  if (!Number.isFinite(pc) || !Number.isFinite(pb)) return undefined;
  return (pc * (1 - pc) + pb * (1 - pb)) / n;
}

// Welch-Satterthwaite: the seed variances are estimated from K values each, the bootstrap part is not.
// se^2 = test-set variance + sum of seed terms; df = se^4 / sum(term^2 / df_term), the test-set
// part counting as infinitely many degrees of freedom (docs/verdict.md, "gate.repeats").
function combine(testVariance: number | undefined, terms: readonly SeedTerm[]): { se?: number; df: number } {
  if (testVariance === undefined && terms.length === 0) return { df: Infinity };
  const total = (testVariance ?? 0) + terms.reduce((a, t) => a + t.variance, 0);
  const denom = terms.reduce((a, t) => a + (t.variance * t.variance) / t.df, 0);
  return { se: Math.sqrt(total), df: denom > 0 ? (total * total) / denom : Infinity };
}

function comparisonOf(c: ResampleSet | undefined, b: ResampleSet | undefined, paired: boolean): Comparison {
  if (!c) return 'none';
  if (!b) return 'candidate-only';
  return paired ? 'paired' : 'unpaired';
}

const pct = (x: number): string => `${Number((x * 100).toFixed(2))}%`;

function comparisonText(
  comparison: Comparison,
  c: ResampleSet | undefined,
  b: ResampleSet | undefined,
  samples: number,
  metrics: readonly string[],
): string {
  switch (comparison) {
    case 'paired':
      return (
        `paired bootstrap over ${c?.n} test examples of the same test set (${samples} resamples)` +
        (metrics.includes('accuracy') ? ', McNemar exact test for accuracy' : '')
      );
    case 'unpaired':
      return `unpaired bootstrap of ${c?.n} candidate and ${b?.n} baseline test examples (not known to be the same test set, ${samples} resamples each)`;
    case 'candidate-only':
      return (
        `normal approximation from the candidate's ${c?.n} test examples, as the baseline has no per-example results ` +
        "(binomial variance for accuracy, twice the candidate's bootstrap variance for other metrics)"
      );
    default:
      return 'no per-example test results: test-set noise not measured';
  }
}

function spreadText(label: string, s: Spread): string {
  return `${label} ${s.repeats} seeds ${s.min.toFixed(4)} to ${s.max.toFixed(4)} (mean ${s.mean.toFixed(4)}, sd ${s.sd.toFixed(4)})`;
}

function seedNotes(metric: string, cand: number[], base: number[], seed: SeedNoise): string[] {
  const parts = [
    cand.length > 1 ? spreadText('candidate', spreadOf(cand)) : '',
    base.length > 1 ? spreadText('baseline', spreadOf(base)) : '',
  ];
  const notes = parts.some(Boolean) ? [`${metric} across seeds: ${parts.filter(Boolean).join('; ')}.`] : [];
  if (seed.borrowedFrom) {
    const other = seed.borrowedFrom === 'candidate' ? 'baseline' : 'candidate';
    notes.push(`The ${other} was trained with one seed; its seed spread is taken to equal the ${seed.borrowedFrom}'s.`);
  }
  return notes;
}

/** Seed spread of the candidate alone, for gates without a baseline comparison. */
export function candidateSpreadNotes(candidate: EvaluatedModel, metrics: readonly string[]): string[] {
  return metrics.flatMap((metric) => seedNotes(metric, repeatValues(candidate, metric), [], { terms: [] }));
}

function testSetVariances(
  config: GateConfig,
  comparison: Comparison,
  c: ResampleSet | undefined,
  b: ResampleSet | undefined,
  candidate: EvaluatedModel,
  baseline: EvaluatedModel,
  metrics: readonly string[],
): Variances {
  if (!c || !metrics.some(isResamplable)) return new Map();
  const variances = bootstrapVariances(comparison, c, b, config.bootstrap_samples ?? DEFAULT_BOOTSTRAP_SAMPLES, config.seed);
  const binomial = comparison === 'candidate-only' ? binomialAccuracyVariance(candidate, baseline, c.n) : undefined;
  if (binomial !== undefined) variances.set('accuracy', binomial);
  return variances;
}

/** Noise of candidate - baseline for each metric compared with the baseline. */
export function estimateNoise(
  config: GateConfig,
  candidate: EvaluatedModel,
  baseline: EvaluatedModel,
  metrics: readonly string[],
): NoiseModel {
  const c = toResampleSet(candidate, 'candidate');
  const b = toResampleSet(baseline, 'baseline');
  const pairing = pairingOf(candidate, baseline);
  const comparison = comparisonOf(c, b, pairing.paired);
  const variances = testSetVariances(config, comparison, c, b, candidate, baseline, metrics);
  const notes = pairing.note ? [pairing.note] : [];
  const perMetric: Record<string, MetricNoise> = {};
  for (const metric of metrics) {
    const cand = repeatValues(candidate, metric);
    const base = repeatValues(baseline, metric);
    const seed = seedNoise(cand, base);
    const testVariance = variances.get(metric);
    perMetric[metric] = {
      ...combine(testVariance, seed.terms),
      seed,
      // Equivalent mutant: with the test forced true, examples is set without testVariance, and it is only read with it.
      ...(testVariance !== undefined && c ? { testVariance, examples: c.n } : {}),
    };
    notes.push(...seedNotes(metric, cand, base, seed));
  }
  const pc = candidate.predictions;
  const pb = baseline.predictions;
  if (comparison === 'paired' && perMetric.accuracy && pc && pb) perMetric.accuracy.mcnemar = mcnemar(pc.y_true, pc.y_pred, pb.y_pred);
  const samples = config.bootstrap_samples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  return {
    comparison,
    perMetric,
    method: methodText(comparison, c, b, samples, metrics, perMetric, config.confidence),
    notes: [...new Set([...notes, ...trainingNoiseNote(perMetric)])],
  };
}

function methodText(
  comparison: Comparison,
  c: ResampleSet | undefined,
  b: ResampleSet | undefined,
  samples: number,
  metrics: readonly string[],
  perMetric: Record<string, MetricNoise>,
  confidence: number,
): string {
  const parts = [comparisonText(comparison, c, b, samples, metrics)];
  if (Object.values(perMetric).some((m) => m.seed.terms.length > 0)) {
    parts.push('plus the between-seed variance of the repeats (Student t, Welch-Satterthwaite degrees of freedom)');
  }
  if (Object.values(perMetric).some((m) => m.se !== undefined)) {
    parts.push(`intervals two-sided at ${pct(confidence)}`);
  }
  return parts.join('; ');
}

function trainingNoiseNote(perMetric: Record<string, MetricNoise>): string[] {
  const all = Object.values(perMetric);
  // Equivalent mutant: `all.length === 0` forced false; estimateNoise is only called with a metric to compare.
  if (all.length === 0 || all.some((m) => m.seed.terms.length > 0)) return [];
  return [
    'Training noise is not measured (one seed per model): a retrained head can move by more than these intervals; ' +
      'set gate.repeats (e.g. 5) to include it.',
  ];
}
