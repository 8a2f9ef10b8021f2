// Our own seeded training loop for the head. model.fit shuffles with Math.random and cannot
// restore the best epoch, so a CI gate that must be reproducible cannot use it.
import type { EpochRecord } from '../report/types.js';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { deriveSeed } from '../util/random.js';
import { autoMode, initialState, observe, resolveMode, type EarlyStoppingState } from './early-stopping.js';
import { runEpoch, type EpochContext, type LabelledFeatures, type StopReason } from './epoch.js';
import { TrainingError } from '../errors.js';
import { evaluateHead } from './evaluate.js';
import { featureStats, headVariables, initHead, restoreHead, snapshotHead, type Head } from './head.js';
import { classWeightVector } from './loss.js';
import { createOptimizer } from './optimizer.js';
import { logEpoch } from './progress.js';
import { initialPlateau, observePlateau } from './schedule.js';
import { resolveTrainSettings, type TrainSettings } from './settings.js';

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
  const head = initHead({ inputDim: train.x.dim, hidden: opts.head.hidden, numClasses: opts.labels.length }, norm, opts.seed);
  const vars = headVariables(head);
  const optimizer = createOptimizer(settings, vars);
  const budgetMs = settings.max_minutes * 60_000;
  const stopReason = (): StopReason | undefined =>
    opts.signal?.aborted ? 'interrupted' : now() - started > budgetMs ? 'budget_reached' : undefined;
  const ctx: EpochContext = { head, vars, data: train, optimizer, settings, dropout: opts.head.dropout, classWeights, plateauScale: 1, stopReason };
  const watch = watchers(settings, val.x.rows > 0);
  const history: EpochRecord[] = [];
  let best = await snapshotHead(head);
  let stopped: TrainResult['stopped'] = 'completed';
  try {
    for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const epochStart = now();
      const { loss, lr, stopped: cut } = await runEpoch(ctx, epoch - 1, deriveSeed(opts.seed, 'epoch', epoch));
      if (cut) {
        if (history.length === 0) throw stoppedBeforeFirstEpoch(cut, settings.max_minutes);
        opts.log.warn(`training stopped during epoch ${epoch} (${cut === 'interrupted' ? 'cancelled' : `train.max_minutes ${settings.max_minutes} reached`}); keeping the best of ${history.length} complete epochs`);
        stopped = cut;
        break;
      }
      const record = await epochRecord(head, val, opts.labels, epoch, loss, lr);
      history.push(record);
      const step = watch.observe(record);
      ctx.plateauScale = watch.plateauScale();
      if (step.improved) best = await snapshotHead(head);
      logEpoch(opts.log, record, settings.epochs, (now() - epochStart) / 1000, (now() - started) / 1000, step.improved);
      if (step.stop) { stopped = 'early_stopping'; break; }
      const after = stopReason();
      if (after && epoch < settings.epochs) { stopped = after; break; }
    }
  } finally {
    optimizer.dispose();
  }
  restoreHead(head, best);
  return { head, history, bestEpoch: watch.bestEpoch(), stopped, seconds: (now() - started) / 1000 };
}

function stoppedBeforeFirstEpoch(reason: StopReason, maxMinutes: number): TrainingError {
  return reason === 'interrupted'
    ? new TrainingError('training was cancelled before its first epoch finished: no model to evaluate')
    : new TrainingError(`train.max_minutes (${maxMinutes}) was reached before the first epoch finished: raise it, or lower the data size or batch count`);
}

/** Early stopping and reduce-on-plateau, fed one epoch record at a time. */
function watchers(s: TrainSettings, hasValidation: boolean) {
  const es = s.early_stopping === false ? undefined : s.early_stopping;
  const mode = es ? resolveMode(es) : 'max';
  let state: EarlyStoppingState = initialState(mode);
  // Without validation data the plateau schedule watches the training loss.
  const plateauOn = s.schedule.type === 'plateau';
  const plateauKey = hasValidation ? s.schedule.monitor : 'loss';
  let plateau = initialPlateau(autoMode(plateauKey));
  return {
    observe(record: EpochRecord): { improved: boolean; stop: boolean } {
      if (plateauOn) plateau = observePlateau(plateau, monitored(record, plateauKey), autoMode(plateauKey), s.schedule);
      if (!es) {
        state = { ...state, bestEpoch: record.epoch };
        return { improved: true, stop: false };
      }
      const step = observe(state, monitored(record, es.monitor), record.epoch, es, mode);
      state = step.state;
      return step;
    },
    plateauScale: () => plateau.scale,
    bestEpoch: () => state.bestEpoch,
  };
}

// Monitors were checked against what an epoch record holds when the settings were resolved.
const monitored = (record: EpochRecord, key: string): number => record[key] ?? NaN;

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
