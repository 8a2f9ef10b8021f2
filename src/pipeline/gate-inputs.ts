// What the gate is given, in one place: its settings from the spec, and a stored report read as
// an evaluated model (a baseline file, or the candidate of `finetune gate`).
import type { EvaluatedModel, GateConfig } from '../gate/evaluate.js';
import type { MetricValues, Report } from '../domain/types.js';
import type { Spec } from '../spec/schema.js';

export function gateConfigOf(spec: Spec): GateConfig {
  return {
    metrics: spec.gate.metrics,
    confidence: spec.gate.confidence,
    mode: spec.gate.mode,
    on_inconclusive: spec.gate.on_inconclusive,
    seed: spec.seed,
  };
}

/** A report.json (possibly partial) as the gate sees it; `metrics` overrides the report's own. */
export function evaluatedFromReport(report: Partial<Report>, metrics: MetricValues = report.metrics ?? {}): EvaluatedModel {
  return {
    metrics,
    labels: report.confusion_matrix?.labels ?? [],
    predictions: report.predictions,
    test_set_sha256: report.fingerprint?.test_set_sha256,
    repeat_metrics: report.repeats,
  };
}
