// Our own seeded training loop for the head. model.fit shuffles with Math.random and cannot
// restore the best epoch, so a CI gate that must be reproducible cannot use it.
import type { EpochRecord } from '../domain/types.js';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { deriveSeed } from '../util/random.js';
import { runEpoch, type EpochContext, type LabelledFeatures, type StopReason } from './epoch.js';
import { TrainingError } from '../errors.js';
import type { FeatureMatrix } from '../features/extract.js';
import { evaluateTrainee } from './evaluate.js';
import { trainingFingerprint, type TrainingFingerprint } from './checkpoint-fingerprint.js';
import type { CheckpointOptions } from './checkpoint.js';
import { featureStats, initHead, type Head, type HeadShape } from './head.js';
import { headTrainee, restoreVariables, snapshotVariables, type Trainee } from './trainee.js';
import { classWeightVector } from './loss.js';
import { logEpoch } from './progress.js';
import { saveProgress, startProgress, type Checkpointing } from './resume.js';
import { resolveTrainSettings, type TrainSettings } from './settings.js';
import { createStepRunner } from './step.js';
import { watchers } from './watchers.js';
import { recordHistoryReached } from './history-reached.js';

export type { LabelledFeatures } from './epoch.js';

export interface TrainOptions {
  train: Spec['train'];
  head: { hidden: number[]; dropout: number };
  labels: string[];
  seed: number;
  log: Logger;
  now?: () => number;
  /** Aborted on a cancel (SIGINT/SIGTERM): training stops, keeping the best epoch so far. */
  signal?: AbortSignal;
  /** Saves the state after every epoch to `dir`; with `resume`, continues from the checkpoint there. */
  checkpoint?: CheckpointOptions;
  /**
   * Augmented views of the training features (rows aligned with `train`): epoch e trains on view
   * (e - 1) mod views.length with train's labels. Standardisation stays that of `train`.
   */
  views?: FeatureMatrix[];
}

/** What one training phase needs beyond its resolved settings. */
export interface FitOptions extends Omit<TrainOptions, 'train'> {
  /** Epoch number of this phase's first epoch in the run's history (phase two follows phase one). */
  firstEpoch?: number;
  /** Tags the history records of this phase. */
  phase?: number;
  /** Label mixed into the per-epoch shuffle seeds, so two phases draw different batches. */
  seedLabel?: string;
  /** A cut before the first epoch keeps the weights the phase started from instead of failing. */
  hasFallback?: boolean;
}

export interface TrainResult {
  head: Head;
  history: EpochRecord[];
  bestEpoch: number;
  stopped: 'completed' | 'early_stopping' | StopReason;
  seconds: number;
}

export async function trainHead(train: LabelledFeatures, val: LabelledFeatures, opts: TrainOptions): Promise<TrainResult> {
  const settings = resolveTrainSettings(opts.train);
  const norm = featureStats(train.x.data, train.x.rows, train.x.dim);
  const shape: HeadShape = { inputDim: train.x.dim, hidden: opts.head.hidden, numClasses: opts.labels.length };
  const head = initHead(shape, norm, opts.seed);
  const fingerprint = trainingFingerprint({
    settings,
    shape,
    dropout: opts.head.dropout,
    labels: opts.labels,
    seed: opts.seed,
    train,
    val,
  });
  const run = await fitTrainee(headTrainee(head), train, val, settings, opts, fingerprint);
  return { head, ...run };
}

/**
 * The epochs of one training phase for any trainee (the head alone, or the unfrozen top of the base
 * with the head): seeded batches, early stopping, checkpoints, budget and cancel; ends restored to
 * the best epoch. `settings` are resolved; `opts.train` is not read here.
 */
export async function fitTrainee(
  trainee: Trainee,
  train: LabelledFeatures,
  val: LabelledFeatures,
  settings: TrainSettings,
  opts: FitOptions,
  fingerprint: TrainingFingerprint,
): Promise<Omit<TrainResult, 'head'>> {
  const now = opts.now ?? Date.now;
  const started = now();
  const classWeights = classWeightVector(settings.class_weights, opts.labels, train.y);
  const steps = createStepRunner(trainee, { settings, dropout: opts.head.dropout, classWeights });
  const budgetMs = settings.max_minutes * 60_000;
  const stopReason = (): StopReason | undefined =>
    opts.signal?.aborted ? 'interrupted' : now() - started > budgetMs ? 'budget_reached' : undefined;
  const ctx: EpochContext = { vars: trainee.variables, data: train, steps, settings, plateauScale: 1, stopReason };
  const watch = watchers(settings, val.x.rows > 0);
  const ckpt: Checkpointing | undefined = opts.checkpoint && { ...opts.checkpoint, fingerprint };
  const progress = await startProgress(ctx, watch, ckpt, opts.log);
  const elapsed = () => progress.priorSeconds + (now() - started) / 1000;
  const firstEpoch = opts.firstEpoch ?? 1;
  let stopped: TrainResult['stopped'] = progress.earlyStopped ? 'early_stopping' : 'completed';
  try {
    for (let epoch = progress.nextEpoch; epoch <= settings.epochs && !progress.earlyStopped; epoch++) {
      const epochStart = now();
      if (opts.views?.length) ctx.data = { x: viewRows(opts.views, epoch, train), y: train.y };
      const { loss, lr, stopped: cut } = await runEpoch(ctx, epoch - 1, deriveSeed(opts.seed, opts.seedLabel ?? 'epoch', epoch));
      if (cut) {
        if (progress.history.length === 0 && !opts.hasFallback) throw stoppedBeforeFirstEpoch(cut, settings.max_minutes);
        opts.log.warn(
          `training stopped during epoch ${epoch} (${cut === 'interrupted' ? 'cancelled' : `train.max_minutes ${settings.max_minutes} reached`}); keeping the best of ${progress.history.length} complete epochs`,
        );
        stopped = cut;
        break;
      }
      const record = await epochRecord(trainee, val, opts.labels, firstEpoch + epoch - 1, loss, lr);
      if (opts.phase !== undefined) record.phase = opts.phase;
      progress.history.push(record);
      const step = watch.observe(record);
      ctx.plateauScale = watch.plateauScale();
      if (step.improved) progress.best = await snapshotVariables(trainee.variables);
      Object.assign(progress, { nextEpoch: epoch + 1, earlyStopped: step.stop });
      // Saved before the progress line, so a cancel prompted by that line finds it on disk.
      if (ckpt) await saveProgress(ctx, watch, ckpt, progress, elapsed());
      logEpoch(opts.log, record, firstEpoch + settings.epochs - 1, (now() - epochStart) / 1000, elapsed(), step.improved, firstEpoch);
      if (step.stop) {
        stopped = 'early_stopping';
        break;
      }
      const after = stopReason();
      if (after && epoch < settings.epochs) {
        stopped = after;
        break;
      }
    }
  } catch (err) {
    recordHistoryReached(err, progress.history);
    throw err;
  } finally {
    steps.dispose();
  }
  restoreVariables(trainee.variables, progress.best);
  return { history: progress.history, bestEpoch: watch.bestEpoch(), stopped, seconds: elapsed() };
}

function viewRows(views: FeatureMatrix[], epoch: number, train: LabelledFeatures): FeatureMatrix {
  const x = views[(epoch - 1) % views.length];
  if (x.rows !== train.x.rows || x.dim !== train.x.dim)
    throw new Error(`augmented view: ${x.rows}x${x.dim} features, expected ${train.x.rows}x${train.x.dim} like train`);
  return x;
}

function stoppedBeforeFirstEpoch(reason: StopReason, maxMinutes: number): TrainingError {
  return reason === 'interrupted'
    ? new TrainingError('training was cancelled before its first epoch finished: no model to evaluate', { failure: 'interrupted' })
    : new TrainingError(
        `train.max_minutes (${maxMinutes}) was reached before the first epoch finished: raise it, or lower the data size or batch count`,
        { failure: 'budget' },
      );
}

async function epochRecord(
  trainee: Trainee,
  val: LabelledFeatures,
  labels: string[],
  epoch: number,
  loss: number,
  lr: number,
): Promise<EpochRecord> {
  const record: EpochRecord = { epoch, loss, val_loss: NaN };
  if (val.x.rows > 0) {
    const ev = await evaluateTrainee(trainee, val.x, val.y, labels);
    record.val_loss = ev.loss;
    for (const [name, value] of Object.entries(ev.metrics)) record[`val_${name}`] = value;
  }
  record.lr = lr;
  return record;
}
