// Trains one head per trial on the features already computed and scores each on the validation
// set. The test set is not an argument: selection cannot see it.
import { ConfigError } from '../errors.js';
import type { Spec } from '../spec/schema.js';
import type { SweepTrialRow } from '../domain/types.js';
import type { Logger } from '../util/log.js';
import { trainHead, type LabelledFeatures } from '../train/loop.js';
import { evaluateHead } from '../train/evaluate.js';
import { disposeHead } from '../train/head.js';
import type { FeatureMatrix } from '../features/extract.js';
import type { Trial } from './plan.js';

export interface TrialInputs {
  spec: Spec;
  train: LabelledFeatures;
  validation: LabelledFeatures;
  /** train.augment: the augmented views of train, used exactly as the final training uses them. */
  views?: FeatureMatrix[];
  classes: string[];
  metric: string;
  log: Logger;
  signal?: AbortSignal;
  /** Recorded on each row when the trials are one shard of a matrix. */
  shard?: number;
}

/** The spec's train section with a trial's settings in place. */
export function trialTrainSettings(spec: Spec, trial: Pick<Trial, 'learning_rate' | 'batch_size'>): Spec['train'] {
  return { ...spec.train, learning_rate: trial.learning_rate, batch_size: trial.batch_size };
}

/**
 * Every trial uses the spec's seed, so trials differ only in their settings, and the best one
 * retrained with that seed is the same head. A cancel stops after the trial it interrupted.
 */
export async function runTrials(trials: Trial[], io: TrialInputs): Promise<SweepTrialRow[]> {
  if (io.validation.x.rows === 0) {
    throw new ConfigError(
      'sweep: trials are ranked on the validation set, which is empty; give data.validation or set data.split.validation above 0',
    );
  }
  const rows: SweepTrialRow[] = [];
  for (const [i, trial] of trials.entries()) {
    io.log.info(
      `sweep trial ${trial.index} (${i + 1} of ${trials.length} here): learning_rate ${trial.learning_rate}, batch_size ${trial.batch_size}`,
    );
    const result = await trainHead(io.train, io.validation, {
      train: trialTrainSettings(io.spec, trial),
      head: io.spec.model.head,
      labels: io.classes,
      seed: io.spec.seed,
      log: io.log,
      signal: io.signal,
      views: io.views,
    });
    try {
      const ev = await evaluateHead(result.head, io.validation.x, io.validation.y, io.classes);
      const value = validationValue(io.metric, ev.loss, ev.metrics as unknown as Record<string, number>);
      rows.push({
        ...trial,
        [io.metric]: value,
        best_epoch: result.bestEpoch,
        seconds: result.seconds,
        ...(io.shard !== undefined ? { shard: io.shard } : {}),
      });
      io.log.info(`sweep trial ${trial.index}: ${io.metric} ${value.toFixed(4)} at epoch ${result.bestEpoch}`);
    } finally {
      disposeHead(result.head);
    }
    if (result.stopped === 'interrupted') break;
  }
  return rows;
}

/** `val_loss` is the cross-entropy; every other `val_<name>` is that classification metric. */
export function validationValue(metric: string, loss: number, metrics: Record<string, number>): number {
  const name = metric.replace(/^val_/, '');
  const value = name === 'loss' ? loss : metrics[name];
  if (typeof value !== 'number') throw new ConfigError(`sweep.metric: "${metric}" is not a metric the validation set yields`);
  return value;
}
