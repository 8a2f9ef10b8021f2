// Inputs of the gate. evaluate.ts re-exports them; the gate itself is pure over these.

import type { MetricValues, TestPredictions } from '../domain/types.js';

/** Thresholds of one metric. Higher-is-better metrics use min / max_drop; loss uses max / max_rise. */
export interface GateMetricRule {
  /** Absolute floor on the point estimate. */
  min?: number;
  /** Largest allowed fall below the baseline. */
  max_drop?: number;
  /** Absolute ceiling on the point estimate. */
  max?: number;
  /** Largest allowed rise above the baseline. */
  max_rise?: number;
}

/** default: fail on a significant regression, pass unless the point estimate is beyond the tolerance; strict: pass needs the whole interval within it. */
export type GateMode = 'default' | 'strict';

export interface GateConfig {
  metrics: Record<string, GateMetricRule>;
  /** The level of every interval (two-sided); a regression fails only when its whole interval is beyond the tolerance. */
  confidence: number;
  /** default when absent. */
  mode?: GateMode;
  on_inconclusive: 'pass' | 'fail';
  seed: number;
  /** Bootstrap resamples; default 2000. */
  bootstrap_samples?: number;
}

export interface EvaluatedModel {
  /** Point estimates; the mean over repeats when the head was trained with several seeds. */
  metrics: MetricValues;
  /** y_true and y_pred on the test set, and each repeat's y_pred in `repeats`. */
  predictions?: TestPredictions;
  test_set_sha256?: string;
  labels: string[];
  /** Metrics of each repeat. */
  repeat_metrics?: MetricValues[];
}
