// The merge gate: a pure function from thresholds, the candidate's evaluation and an
// optional baseline to a verdict. Seeded, so the same inputs always give the same result.

import type { CheckStatus, GateResult } from '../domain/types.js';
import { buildCheck, detectableChange, tolerancesOf, worstStatus } from './checks.js';
import { candidateSpreadNotes, estimateNoise, type NoiseModel } from './noise.js';
import { repeatValues } from './seeds.js';
import type { EvaluatedModel, GateConfig } from './types.js';

export type { EvaluatedModel, GateConfig, GateMetricRule, GateMode } from './types.js';

function validate(config: GateConfig): void {
  // 0.5 is allowed (a 50% interval); the spec itself asks for more.
  if (!(config.confidence >= 0.5 && config.confidence < 1)) {
    throw new Error(`gate.confidence must be in [0.5, 1), got ${config.confidence}`);
  }
  if (config.mode !== undefined && config.mode !== 'default' && config.mode !== 'strict') {
    throw new Error(`gate.mode must be "default" or "strict", got ${JSON.stringify(config.mode)}`);
  }
  const samples = config.bootstrap_samples;
  if (samples !== undefined && !(Number.isInteger(samples) && samples >= 2)) {
    throw new Error(`gate.bootstrap_samples must be an integer >= 2, got ${samples}`);
  }
  for (const [metric, rule] of Object.entries(config.metrics)) {
    for (const t of tolerancesOf(rule)) {
      if (!(t.limit >= 0)) throw new Error(`gate.metrics.${metric}.${t.key} must be >= 0, got ${t.limit}`);
    }
  }
}

// Metrics that have a tolerance and a baseline value to apply it to.
function comparedMetrics(config: GateConfig, baseline: EvaluatedModel | undefined): string[] {
  // Equivalent mutant: a non-empty list here is never used, as the noise is estimated only with a baseline.
  if (!baseline) return [];
  return Object.entries(config.metrics)
    .filter(([metric, rule]) => tolerancesOf(rule).length > 0 && Number.isFinite(baseline.metrics[metric]))
    .map(([metric]) => metric);
}

function detectableDrops(config: GateConfig, noise: NoiseModel): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const [metric, n] of Object.entries(noise.perMetric)) {
    // Equivalent mutants (`?.` to `.`, `limit === undefined` forced false): perMetric holds only compared
    // metrics, and each has a tolerance.
    const limit = tolerancesOf(config.metrics[metric])[0]?.limit;
    const d = limit === undefined ? undefined : detectableChange(limit, n, config.confidence);
    if (d !== undefined) out[metric] = d;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Both test-set fingerprints when they are known and differ: the baseline's numbers are then about other examples. */
export function testSetChange(
  candidate: EvaluatedModel,
  baseline: EvaluatedModel | undefined,
): { baseline: string; candidate: string } | undefined {
  const [b, c] = [baseline?.test_set_sha256, candidate.test_set_sha256];
  return b && c && b !== c ? { baseline: b, candidate: c } : undefined;
}

const short = (sha: string): string => sha.slice(0, 12);

/** The reason a tolerance check gives when the test set changed: both fingerprints and the remedy. */
export function testSetChangedReason(change: { baseline: string; candidate: string }): string {
  return (
    `not compared: the baseline was scored on another test set (sha256 ${short(change.baseline)}, this run ${short(change.candidate)}); ` +
    'set gate.baseline.from: model to re-score the baseline model on this test set, or update the baseline file in this pull request'
  );
}

/**
 * Evaluates every gated metric. Verdict: fail if any check fails, else inconclusive if any
 * is, else pass. `on_inconclusive` is applied by exitCodeFor, so the report keeps the truth.
 * A baseline scored on another test set is never compared: its tolerance checks are
 * inconclusive, so a changed test set cannot pass by omission (docs/verdict.md).
 */
export function evaluateGate(config: GateConfig, candidate: EvaluatedModel, baseline?: EvaluatedModel): GateResult {
  validate(config);
  const mode = config.mode ?? 'default';
  const changed = testSetChange(candidate, baseline);
  const compared = changed ? [] : comparedMetrics(config, baseline);
  const noise = baseline && compared.length > 0 ? estimateNoise(config, candidate, baseline, compared) : undefined;
  const notComparable = changed ? testSetChangedReason(changed) : undefined;
  const checks = Object.entries(config.metrics).map(([metric, rule]) =>
    buildCheck({
      metric,
      rule,
      candidate,
      baseline,
      noise: noise?.perMetric[metric],
      confidence: config.confidence,
      mode,
      notComparable,
      runs: { candidate: repeatValues(candidate, metric).length, baseline: baseline ? repeatValues(baseline, metric).length : 0 },
    }),
  );
  const verdict = worstStatus(checks.map((c) => c.status));
  const detectable = noise ? detectableDrops(config, noise) : undefined;
  const result: GateResult = {
    verdict,
    mode,
    confidence: config.confidence,
    checks,
    method: noise ? noise.method : 'absolute thresholds on the point estimates (no baseline comparison)',
  };
  if (changed) result.test_set_changed = changed;
  if (detectable) result.detectable_drop = detectable;
  const notes = noise ? noise.notes : candidateSpreadNotes(candidate, Object.keys(config.metrics));
  if (notes.length > 0) result.notes = notes;
  return result;
}

/** Exit code of the gate step: 1 blocks the merge. */
export function exitCodeFor(result: GateResult, onInconclusive: 'pass' | 'fail'): 0 | 1 {
  const status: CheckStatus = result.verdict;
  if (status === 'fail') return 1;
  if (status === 'inconclusive') return onInconclusive === 'fail' ? 1 : 0;
  return 0;
}
