// Reads the baseline a candidate is compared with: a report.json from an earlier run, or just
// its metrics object.
import fs from 'node:fs';
import { ConfigError } from '../errors.js';
import type { BaselineReport, MetricValues, Report } from '../report/types.js';
import type { EvaluatedModel } from '../gate/evaluate.js';

export interface LoadedBaseline {
  report: BaselineReport;
  model?: EvaluatedModel;
}

export function readBaselineFile(file: string, shownAs: string): LoadedBaseline {
  if (!fs.existsSync(file)) throw new ConfigError(`gate.baseline.path: ${shownAs} does not exist`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`gate.baseline.path: ${shownAs} is not valid JSON (${(err as Error).message})`);
  }
  const obj = json as Partial<Report> & MetricValues;
  const metrics = (obj.metrics ?? obj) as MetricValues;
  const numeric = Object.fromEntries(Object.entries(metrics).filter(([, v]) => typeof v === 'number')) as MetricValues;
  if (Object.keys(numeric).length === 0) {
    throw new ConfigError(`gate.baseline.path: ${shownAs} holds no metrics (expected a report.json or an object of metric values)`);
  }
  const labels = obj.confusion_matrix?.labels ?? [];
  return {
    report: { source: 'file', path: shownAs, metrics: numeric },
    model: {
      metrics: numeric,
      labels,
      predictions: obj.predictions,
      test_set_sha256: obj.fingerprint?.test_set_sha256,
      repeat_metrics: obj.repeats,
    },
  };
}
