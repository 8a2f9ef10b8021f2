// Our own seeded training loop for the head. model.fit shuffles with Math.random and cannot
// restore the best epoch, so a CI gate that must be reproducible cannot use it.
import type { EpochRecord } from '../report/types.js';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { deriveSeed } from '../util/random.js';
import { runEpoch, type EpochContext, type LabelledFeatures, type StopReason } from './epoch.js';
import { TrainingError } from '../errors.js';
import { evaluateHead } from './evaluate.js';
import { trainingFingerprint } from './checkpoint-fingerprint.js';
import type { CheckpointOptions } from './checkpoint.js';
import { featureStats, headVariables, initHead, restoreHead, snapshotHead, type Head, type HeadShape } from './head.js';
import { classWeightVector } from './loss.js';
import { createOptimizer } from './optimizer.js';
import { logEpoch } from './progress.js';
import { saveProgress, startProgress, type Checkpointing } from './resume.js';
import { resolveTrainSettings } from './settings.js';
import { watchers } from './watchers.js';

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
}

export interface TrainResult {
  head: Head;
  history: EpochRecord[];
  bestEpoch: number;
  stopped: 'completed' | 'early_stopping' | StopReason;
  seconds: number;
}

export async function trainHead(train: LabelledFeatures, val: LabelledFeatures, opts: TrainOptions): Promise<TrainResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const settings = resolveTrainSettings(opts.train);
  const classWeights = classWeightVector(settings.class_weights, opts.labels, train.y);
  const norm = featureStats(train.x.data, train.x.rows, train.x.dim);
  const shape: HeadShape = { inputDim: train.x.dim, hidden: opts.head.hidden, numClasses: opts.labels.length };
  const head = initHead(shape, norm, opts.seed);
  const vars = headVariables(head);
  const optimizer = createOptimizer(settings, vars);
  const budgetMs = settings.max_minutes * 60_000;
  const stopReason = (): StopReason | undefined =>
    opts.signal?.aborted ? 'interrupted' : now() - started > budgetMs ? 'budget_reached' : undefined;
  const ctx: EpochContext = { head, vars, data: train, optimizer, settings, dropout: opts.head.dropout, classWeights, plateauScale: 1, stopReason };
  const watch = watchers(settings, val.x.rows > 0);
  const ckpt: Checkpointing | undefined = opts.checkpoint && {
    ...opts.checkpoint,
    fingerprint: trainingFingerprint({ settings, shape, dropout: opts.head.dropout, labels: opts.labels, seed: opts.seed, train, val }),
  };
  const progress = await startProgress(ctx, watch, ckpt, opts.log);
  const elapsed = () => progress.priorSeconds + (now() - started) / 1000;
  let stopped: TrainResult['stopped'] = progress.earlyStopped ? 'early_stopping' : 'completed';
  try {
    for (let epoch = progress.nextEpoch; epoch <= settings.epochs && !progress.earlyStopped; epoch++) {
      const epochStart = now();
      const { loss, lr, stopped: cut } = await runEpoch(ctx, epoch - 1, deriveSeed(opts.seed, 'epoch', epoch));
      if (cut) {
        if (progress.history.length === 0) throw stoppedBeforeFirstEpoch(cut, settings.max_minutes);
        opts.log.warn(`training stopped during epoch ${epoch} (${cut === 'interrupted' ? 'cancelled' : `train.max_minutes ${settings.max_minutes} reached`}); keeping the best of ${progress.history.length} complete epochs`);
        stopped = cut;
        break;
      }
      const record = await epochRecord(head, val, opts.labels, epoch, loss, lr);
      progress.history.push(record);
      const step = watch.observe(record);
      ctx.plateauScale = watch.plateauScale();
      if (step.improved) progress.best = await snapshotHead(head);
      Object.assign(progress, { nextEpoch: epoch + 1, earlyStopped: step.stop });
      // Saved before the progress line, so a cancel prompted by that line finds it on disk.
      if (ckpt) await saveProgress(ctx, watch, ckpt, progress, elapsed());
      logEpoch(opts.log, record, settings.epochs, (now() - epochStart) / 1000, elapsed(), step.improved);
      if (step.stop) { stopped = 'early_stopping'; break; }
      const after = stopReason();
      if (after && epoch < settings.epochs) { stopped = after; break; }
    }
  } finally {
    optimizer.dispose();
  }
  restoreHead(head, progress.best);
  return { head, history: progress.history, bestEpoch: watch.bestEpoch(), stopped, seconds: elapsed() };
}

function stoppedBeforeFirstEpoch(reason: StopReason, maxMinutes: number): TrainingError {
  return reason === 'interrupted'
    ? new TrainingError('training was cancelled before its first epoch finished: no model to evaluate')
    : new TrainingError(`train.max_minutes (${maxMinutes}) was reached before the first epoch finished: raise it, or lower the data size or batch count`);
}

async function epochRecord(head: Head, val: LabelledFeatures, labels: string[], epoch: number, loss: number, lr: number): Promise<EpochRecord> {
  const record: EpochRecord = { epoch, loss, val_loss: NaN };
  if (val.x.rows > 0) {
    const ev = await evaluateHead(head, val.x, val.y, labels);
    record.val_loss = ev.loss;
    for (const [name, value] of Object.entries(ev.metrics)) record[`val_${name}`] = value;
  }
  record.lr = lr;
  return record;
}
