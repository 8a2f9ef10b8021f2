// The train: section of the spec: optimizer, schedule, class weights, early stopping.
import { z } from 'zod';
import { bool, int, MONITOR_NAMES, num, oneOf, onObjects, OPTIMIZERS, strict, text } from './schema-fields.js';

export const FINETUNE_DEFAULTS = { epochs: 5, rateDivisor: 10 } as const;

const EarlyStoppingSchema = strict({
  monitor: oneOf(MONITOR_NAMES).default('val_f1_macro'),
  mode: oneOf(['max', 'min', 'auto']).default('auto').describe('auto: min for loss, max for the rest.'),
  patience: int({ min: 0 }).default(5),
  min_delta: num({ min: 0 }).default(0.001),
});

export const SCHEDULE_TYPES = ['constant', 'step', 'exponential', 'cosine', 'plateau'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

/**
 * Defaults of the optional train keys. They depend on the optimizer or the schedule type, so
 * src/train/settings.ts fills them in rather than zod. Cosine with a short warmup is the default:
 * a rate that ends near zero leaves a head that no longer moves with the last batches it saw.
 */
export const TRAIN_DEFAULTS = {
  weight_decay: { adamw: 0.01, other: 0 },
  momentum: 0.9,
  nesterov: false,
  label_smoothing: 0,
  schedule: { type: 'cosine' as ScheduleType },
} as const;
export const SCHEDULE_DEFAULTS = {
  warmup_epochs: { cosine: 1, other: 0 },
  step_size: 10,
  gamma: { step: 0.1, exponential: 0.9 },
  min_lr: 0,
  patience: 2,
  factor: 0.2,
  // Keras's default: the validation loss is smooth where a metric on a small set jumps.
  monitor: 'val_loss',
} as const;
/** The keys each schedule type reads; any other is an error. */
const SCHEDULE_KEYS: Record<ScheduleType, string[]> = {
  constant: ['warmup_epochs'],
  step: ['warmup_epochs', 'step_size', 'gamma'],
  exponential: ['warmup_epochs', 'gamma'],
  cosine: ['warmup_epochs', 'min_lr'],
  plateau: ['warmup_epochs', 'patience', 'factor', 'min_lr', 'monitor'],
};

const ScheduleSchema = strict({
  type: oneOf(SCHEDULE_TYPES).optional().describe('How the rate changes over training; default cosine.'),
  warmup_epochs: num({ min: 0 })
    .optional()
    .describe('Linear warmup from near 0 over these epochs (fractions allowed); default 1 for cosine, 0 otherwise.'),
  step_size: int({ min: 1 }).optional().describe('step: epochs between two decays; default 10.'),
  gamma: num({ gt: 0, max: 1 }).optional().describe('step: factor per decay (default 0.1); exponential: factor per epoch (default 0.9).'),
  min_lr: num({ min: 0 }).optional().describe('cosine: the final rate; plateau: the floor. Default 0.'),
  patience: int({ min: 1 }).optional().describe('plateau: epochs without improvement before the rate drops; default 2.'),
  factor: num({ gt: 0, lt: 1 }).optional().describe('plateau: the rate is multiplied by this when it drops; default 0.2.'),
  monitor: oneOf(MONITOR_NAMES).optional().describe('plateau: the metric it watches; default val_loss (the loss without validation data).'),
}).superRefine(checkScheduleKeys, onObjects);

function checkScheduleKeys(s: { type?: unknown } & Record<string, unknown>, ctx: z.RefinementCtx): void {
  const type = (s.type ?? TRAIN_DEFAULTS.schedule.type) as ScheduleType;
  const allowed = SCHEDULE_KEYS[type];
  if (allowed === undefined) return;
  for (const key of Object.keys(s)) {
    if (key === 'type' || allowed.includes(key)) continue;
    const owners = SCHEDULE_TYPES.filter((t) => SCHEDULE_KEYS[t].includes(key)).map((t) => `"${t}"`);
    if (owners.length === 0) continue; // an unknown key: the strict object reports it
    const message = `expected no ${key} for schedule type "${type}" (it applies to ${owners.join(', ')})`;
    ctx.addIssue({ code: 'custom', path: [key], message, params: { verbatim: true } });
  }
}

const ClassWeightsSchema = z
  .union([z.literal('balanced'), z.record(text('a label'), num({ min: 0 }))], { error: '"balanced" or a mapping { <label>: weight }' })
  .describe('Per-class loss weights: balanced (n / (classes x count)) or { <label>: weight }, others 1; default: none.');

/** Phase two: the unfrozen top of the base and the head, trained on from the phase-one head. */
const FinetuneSchema = strict({
  epochs: int({ min: 1, max: 10000 }).default(FINETUNE_DEFAULTS.epochs),
  learning_rate: num({ gt: 0, max: 10 })
    .optional()
    .describe('Default: train.learning_rate / 10 (a lower rate keeps the pre-trained features).'),
  batch_size: int({ min: 1, max: 65536 }).optional().describe('Default: train.batch_size.'),
});

/**
 * Seeded image augmentation of the training set (src/data/augment.ts). Each training image gets
 * `views` fixed augmented copies, computed once through the frozen base and cached; epoch e trains
 * on view (e - 1) mod views. Validation and test are never augmented.
 */
const AugmentSchema = strict({
  flip: bool().default(false).describe('Mirror left-right with probability 0.5.'),
  crop: num({ min: 0, max: 0.5 })
    .default(0)
    .describe('Pad by up to this fraction of each side with black, then crop back to the original size at a random offset; 0: off.'),
  brightness: num({ min: 0, max: 1 }).default(0).describe('Multiply the pixels by a random factor in [1 - x, 1 + x]; 0: off.'),
  contrast: num({ min: 0, max: 1 }).default(0).describe('Scale the pixels about their mean by a random factor in [1 - x, 1 + x]; 0: off.'),
  views: int({ min: 1, max: 100 })
    .default(4)
    .describe('Augmented copies of each training image, each one more pass of the base over the training set on a cold cache.'),
}).superRefine((a, ctx) => {
  if (a.flip === false && a.crop === 0 && a.brightness === 0 && a.contrast === 0) {
    const message =
      'expected at least one transform on (flip: true, or crop, brightness or contrast above 0); without one every view is the plain image';
    ctx.addIssue({ code: 'custom', message, params: { verbatim: true } });
  }
}, onObjects);

export const TrainSchema = strict({
  epochs: int({ min: 1, max: 10000 }).default(20),
  batch_size: int({ min: 1, max: 65536 }).default(32),
  optimizer: oneOf(OPTIMIZERS).default('adam'),
  learning_rate: num({ gt: 0, max: 10 }).default(0.001),
  weight_decay: num({ min: 0, max: 1 })
    .optional()
    .describe('Decoupled weight decay of the kernels, times the rate, each step; default 0.01 with adamw, 0 otherwise.'),
  momentum: num({ min: 0, lt: 1 }).optional().describe('sgd: momentum; default 0.9.'),
  nesterov: bool().optional().describe('sgd: Nesterov momentum; default false.'),
  clip_norm: num({ gt: 0 }).optional().describe('Scales the gradients down to this global norm when above it; default: no clipping.'),
  schedule: ScheduleSchema.optional().describe('Learning-rate schedule, stepped per batch; default { type: cosine, warmup_epochs: 1 }.'),
  class_weights: ClassWeightsSchema.optional(),
  label_smoothing: num({ min: 0, lt: 1 }).optional().describe('Mixes this much of a uniform distribution into the targets; default 0.'),
  early_stopping: z
    .union([z.literal(false), EarlyStoppingSchema], { error: 'a mapping, or false to turn early stopping off' })
    // Off unless asked for: under the default cosine schedule the rate reaches zero at the last
    // epoch, while a stop ends training at a high rate on an epoch that varies with the seed, and
    // that seed noise makes a gate's verdict less reliable (docs/verdict.md, "Training noise").
    .default(false)
    .describe('Stops when the monitored metric stops improving and restores the best epoch; default false (off).'),
  max_minutes: num({ gt: 0 }).default(30).describe('Budget: training stops and reports what was reached.'),
  augment: AugmentSchema.optional().describe('Seeded augmentation of the training images (image tasks only); default: off.'),
  finetune: FinetuneSchema.optional().describe(
    'Second phase when model.trainable unfreezes base layers: defaults { epochs: 5, learning_rate: learning_rate / 10 }.',
  ),
}).superRefine(checkTrainKeys, onObjects);

type TrainShape = { optimizer?: unknown; learning_rate?: unknown; schedule?: { min_lr?: unknown } } & Record<string, unknown>;

/** sgd-only keys with another optimizer, and a floor above the rate, are mistakes worth naming. */
function checkTrainKeys(train: TrainShape, ctx: z.RefinementCtx): void {
  const add = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message, params: { verbatim: true } });
  const { optimizer, learning_rate: lr } = train;
  for (const key of ['momentum', 'nesterov']) {
    if (train[key] !== undefined && typeof optimizer === 'string' && optimizer !== 'sgd') {
      add([key], `expected no ${key} for optimizer "${optimizer}" (it applies to "sgd")`);
    }
  }
  const minLr = train.schedule?.min_lr;
  if (typeof minLr === 'number' && typeof lr === 'number' && minLr >= lr) {
    add(['schedule', 'min_lr'], `expected a number below learning_rate (${lr}), got ${minLr}`);
  }
}
