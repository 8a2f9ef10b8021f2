// Trains the head gate.repeats times with different seeds (training noise is measured, not
// guessed) and evaluates each on the test set. The first repeat uses the spec's seed and is the
// model that ships; the gate judges the mean over repeats.
import path from 'node:path';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import type { MetricValues, TestPredictions } from '../report/types.js';
import { deriveSeed } from '../util/random.js';
import { trainHead, type TrainResult } from '../train/loop.js';
import { evaluateHead, type Evaluation } from '../train/evaluate.js';
import { disposeHead } from '../train/head.js';
import { hasCheckpoint, removeCheckpoint, type CheckpointOptions } from '../train/checkpoint.js';
import type { FeatureStage } from './features.js';

export interface RepeatsResult {
  best: TrainResult;
  evaluation: Evaluation;
  metrics: MetricValues;
  repeatMetrics: MetricValues[];
  predictions: TestPredictions;
  headParams: number;
  trainSeconds: number;
  evalSeconds: number;
}

/** `checkpoint.dir` holds one checkpoint per repeat; a fresh run clears what an earlier one left there. */
export async function trainRepeats(
  spec: Spec, feats: FeatureStage, classes: string[], log: Logger, signal?: AbortSignal, checkpoint?: CheckpointOptions,
): Promise<RepeatsResult> {
  const train = trainSettings(spec, feats, log);
  if (checkpoint && !checkpoint.resume) removeCheckpoint(checkpoint.dir);
  const runs: Array<{ result: TrainResult; evaluation: Evaluation }> = [];
  let evalSeconds = 0;
  for (let r = 0; r < spec.gate.repeats; r++) {
    const seed = r === 0 ? spec.seed : deriveSeed(spec.seed, 'repeat', r);
    if (spec.gate.repeats > 1) log.info(`repeat ${r + 1}/${spec.gate.repeats} (seed ${seed})`);
    const result = await trainHead(feats.train, feats.validation, {
      train, head: spec.model.head, labels: classes, seed, log, signal, checkpoint: checkpoint && repeatCheckpoint(checkpoint, r),
    });
    const t = Date.now();
    const evaluation = await evaluateHead(result.head, feats.test.x, feats.test.y, classes);
    evalSeconds += (Date.now() - t) / 1000;
    runs.push({ result, evaluation });
    if (r > 0) disposeHead(result.head);
    // A cancel or the budget ends the repeats too: the gate works with those that finished.
    if (result.stopped === 'interrupted' || result.stopped === 'budget_reached') break;
  }
  const repeatMetrics = runs.map(({ evaluation: e }) => ({ ...e.metrics, loss: e.loss }) as MetricValues);
  const first = runs[0];
  const predictions: TestPredictions = { y_true: Array.from(feats.test.y), y_pred: Array.from(first.evaluation.predictions.yPred) };
  if (runs.length > 1) predictions.repeats = runs.map((x) => Array.from(x.evaluation.predictions.yPred));
  return {
    best: first.result,
    evaluation: first.evaluation,
    metrics: meanMetrics(repeatMetrics),
    repeatMetrics,
    predictions,
    headParams: first.result.head.layers.reduce((s, l) => s + l.kernel.size + l.bias.size, 0),
    trainSeconds: runs.reduce((s, x) => s + x.result.seconds, 0),
    evalSeconds,
  };
}

// Repeats after the one that was cut short never started: they start fresh, without a warning.
function repeatCheckpoint(c: CheckpointOptions, r: number): CheckpointOptions {
  const dir = path.join(c.dir, `repeat-${r}`);
  return { dir, resume: c.resume && (r === 0 || hasCheckpoint(dir)) };
}

/** Early stopping needs validation data; without it the run trains every epoch and says so. */
function trainSettings(spec: Spec, feats: FeatureStage, log: Logger): Spec['train'] {
  if (spec.train.early_stopping !== false && feats.validation.x.rows === 0) {
    log.warn('the validation set is empty: early stopping is off and the last epoch is kept');
    return { ...spec.train, early_stopping: false };
  }
  return spec.train;
}

function meanMetrics(list: MetricValues[]): MetricValues {
  const out: MetricValues = {};
  for (const key of Object.keys(list[0])) out[key] = list.reduce((s, m) => s + m[key], 0) / list.length;
  return out;
}
