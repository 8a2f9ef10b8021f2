// The train section with every optional key filled in. The defaults themselves live in the schema
// (TRAIN_DEFAULTS, SCHEDULE_DEFAULTS); they are applied here because they depend on other keys.
import { ConfigError } from '../errors.js';
import { SCHEDULE_DEFAULTS, TRAIN_DEFAULTS, type ScheduleType, type Spec } from '../spec/schema.js';

export interface ScheduleSettings {
  type: ScheduleType;
  warmup_epochs: number;
  step_size: number;
  gamma: number;
  min_lr: number;
  patience: number;
  factor: number;
  /** plateau: the history key it watches. */
  monitor: string;
}

export interface TrainSettings {
  epochs: number;
  batch_size: number;
  optimizer: Spec['train']['optimizer'];
  learning_rate: number;
  weight_decay: number;
  momentum: number;
  nesterov: boolean;
  clip_norm?: number;
  schedule: ScheduleSettings;
  class_weights?: 'balanced' | Record<string, number>;
  label_smoothing: number;
  early_stopping: Spec['train']['early_stopping'];
  max_minutes: number;
}

export function resolveTrainSettings(train: Spec['train']): TrainSettings {
  const { schedule, ...rest } = train;
  if (train.early_stopping !== false) checkMonitor(train.early_stopping.monitor, 'train.early_stopping.monitor');
  if (schedule?.monitor !== undefined) checkMonitor(schedule.monitor, 'train.schedule.monitor');
  return {
    ...rest,
    weight_decay:
      train.weight_decay ?? (train.optimizer === 'adamw' ? TRAIN_DEFAULTS.weight_decay.adamw : TRAIN_DEFAULTS.weight_decay.other),
    momentum: train.momentum ?? TRAIN_DEFAULTS.momentum,
    nesterov: train.nesterov ?? TRAIN_DEFAULTS.nesterov,
    label_smoothing: train.label_smoothing ?? TRAIN_DEFAULTS.label_smoothing,
    schedule: resolveSchedule(schedule ?? {}),
  };
}

function resolveSchedule(s: NonNullable<Spec['train']['schedule']>): ScheduleSettings {
  const type = s.type ?? TRAIN_DEFAULTS.schedule.type;
  const d = SCHEDULE_DEFAULTS;
  return {
    type,
    warmup_epochs: s.warmup_epochs ?? (type === 'cosine' ? d.warmup_epochs.cosine : d.warmup_epochs.other),
    step_size: s.step_size ?? d.step_size,
    gamma: s.gamma ?? (type === 'exponential' ? d.gamma.exponential : d.gamma.step),
    min_lr: s.min_lr ?? d.min_lr,
    patience: s.patience ?? d.patience,
    factor: s.factor ?? d.factor,
    monitor: s.monitor ?? SCHEDULE_DEFAULTS.monitor,
  };
}

/** An epoch record holds the training loss and the validation metrics; nothing else can be watched. */
function checkMonitor(monitor: string, where: string): void {
  if (monitor === 'loss' || monitor.startsWith('val_')) return;
  throw new ConfigError(
    `${where}: expected "loss" or a val_ metric (only the loss is computed on the training data each epoch), got "${monitor}"`,
  );
}
