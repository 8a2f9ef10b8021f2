// Trains the head gate.repeats times with different seeds (training noise is measured, not
// guessed) and evaluates each on the test set. The first repeat uses the spec's seed and is the
// model that ships; the gate judges the mean over repeats.
import path from 'node:path';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import type { MetricValues, TestPredictions } from '../domain/types.js';
import { deriveSeed } from '../util/random.js';
import { trainHead, type TrainResult } from '../train/loop.js';
import { evaluateTrainee, type Evaluation } from '../train/evaluate.js';
import { trainTop, topTrainee, type PhaseTwoSummary } from '../train/finetune.js';
import { headTrainee, restoreVariables, snapshotVariables } from '../train/trainee.js';
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
  /** Base weights unfrozen for phase two (0 with a frozen base). */
  baseTrainableParams: number;
  /** The shipped repeat's phase two, when model.trainable unfroze layers. */
  phaseTwo?: PhaseTwoSummary;
  trainSeconds: number;
  evalSeconds: number;
}

/** `checkpoint.dir` holds one checkpoint per repeat; a fresh run clears what an earlier one left there. */
export async function trainRepeats(
  spec: Spec,
  feats: FeatureStage,
  classes: string[],
  log: Logger,
  signal?: AbortSignal,
  checkpoint?: CheckpointOptions,
): Promise<RepeatsResult> {
  const train = trainSettings(spec, feats, log);
  if (checkpoint && !checkpoint.resume) removeCheckpoint(checkpoint.dir);
  const runs: Array<{ result: TrainResult; evaluation: Evaluation; phaseTwo?: PhaseTwoSummary }> = [];
  const ft = feats.finetune;
  // Every repeat's phase two starts from the pre-trained base; the first repeat's result ships.
  const pretrained = ft && (await snapshotVariables(ft.split.variables));
  let shipped: Float32Array[] | undefined;
  let evalSeconds = 0;
  for (let r = 0; r < spec.gate.repeats; r++) {
    const seed = r === 0 ? spec.seed : deriveSeed(spec.seed, 'repeat', r);
    if (spec.gate.repeats > 1) log.info(`repeat ${r + 1}/${spec.gate.repeats} (seed ${seed})`);
    const ckpt = checkpoint && repeatCheckpoint(checkpoint, r);
    let result = await trainHead(feats.train, feats.validation, {
      train,
      head: spec.model.head,
      labels: classes,
      seed,
      log,
      signal,
      checkpoint: ckpt,
      views: feats.trainViews,
    });
    let trainee = headTrainee(result.head);
    let testRows = feats.test.x;
    let phaseTwo: PhaseTwoSummary | undefined;
    if (ft && pretrained && !cutShort(result)) {
      restoreVariables(ft.split.variables, pretrained);
      const two = await trainTop(
        {
          split: ft.split,
          head: result.head,
          phaseOne: result,
          train: ft.train,
          validation: ft.validation,
          spec: spec.train,
          earlyStopping: train.early_stopping,
        },
        {
          head: spec.model.head,
          labels: classes,
          seed,
          log,
          signal,
          checkpoint: ckpt && { dir: `${ckpt.dir}-phase-two`, resume: ckpt.resume },
          views: ft.trainViews,
        },
      );
      result = two.result;
      phaseTwo = two.summary;
      trainee = topTrainee(ft.split, result.head);
      testRows = ft.test.x;
      if (r === 0) shipped = await snapshotVariables(ft.split.variables);
    }
    const t = Date.now();
    const evaluation = await evaluateTrainee(trainee, testRows, feats.test.y, classes);
    evalSeconds += (Date.now() - t) / 1000;
    runs.push({ result, evaluation, phaseTwo });
    if (r > 0) disposeHead(result.head);
    // A cancel or the budget ends the repeats too: the gate works with those that finished.
    if (cutShort(result)) break;
  }
  if (ft && shipped && runs.length > 1) restoreVariables(ft.split.variables, shipped);
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
    baseTrainableParams: ft?.split.trainableParams ?? 0,
    phaseTwo: first.phaseTwo,
    trainSeconds: runs.reduce((s, x) => s + x.result.seconds, 0),
    evalSeconds,
  };
}

const cutShort = (r: TrainResult): boolean => r.stopped === 'interrupted' || r.stopped === 'budget_reached';

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
