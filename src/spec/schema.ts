// The spec file's schema (SPEC.md section 1). Every default lives here and only here; every object
// is strict so a misspelt key is an error, not a silently ignored setting. Each leaf carries the
// phrase that says what is allowed; src/spec/errors.ts turns it into "expected <phrase>, got <value>".
import { z } from 'zod';
import { lexicalPathProblem } from './paths.js';

export const DEFAULT_SPEC_FILE = 'finetune.yml';

export const METRIC_NAMES = [
  'accuracy',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'precision_weighted',
  'recall_weighted',
  'f1_weighted',
  'f1_micro',
  'loss',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const TASKS = ['image-classification', 'tabular-classification'] as const;
export const DATA_FORMATS = ['image-folder', 'idx', 'csv'] as const;
export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop'] as const;
export const BASELINE_SOURCES = ['none', 'file', 'artifact', 'model'] as const;
/** Early stopping may watch any metric, on the training data or (prefixed `val_`) on validation. */
export const MONITOR_NAMES = [...METRIC_NAMES, ...METRIC_NAMES.map((m) => `val_${m}` as const)] as const;

interface Range {
  min?: number;
  max?: number;
  gt?: number;
  lt?: number;
}

function describeRange(kind: 'an integer' | 'a number', r: Range): string {
  const lo = r.gt ?? r.min;
  const hi = r.lt ?? r.max;
  if (lo !== undefined && hi !== undefined) {
    if (kind === 'an integer') return `an integer from ${lo} to ${hi}`;
    return `a number in ${r.gt === undefined ? '[' : '('}${lo}, ${hi}${r.lt === undefined ? ']' : ')'}`;
  }
  if (r.gt !== undefined) return `${kind} greater than ${r.gt}`;
  if (r.min !== undefined) return `${kind} >= ${r.min}`;
  return kind;
}

function bounded(schema: z.ZodNumber, r: Range, error: string): z.ZodNumber {
  let s = schema;
  if (r.min !== undefined) s = s.min(r.min, { error });
  if (r.max !== undefined) s = s.max(r.max, { error });
  if (r.gt !== undefined) s = s.gt(r.gt, { error });
  if (r.lt !== undefined) s = s.lt(r.lt, { error });
  return s;
}

const int = (r: Range) => {
  const error = describeRange('an integer', r);
  return bounded(z.int({ error }), r, error);
};
const num = (r: Range) => {
  const error = describeRange('a number', r);
  return bounded(z.number({ error }), r, error);
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `one of ${values.map((v) => `"${v}"`).join(', ')}` });
const text = (what: string) => z.string({ error: what }).min(1, { error: what });
const bool = () => z.boolean({ error: 'true or false' });
const strict = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject(shape, { error: 'a mapping of keys' });
/** Relative and never leaving the root; src/spec/load.ts also follows symlinks on disk. */
const repoPath = (allowUrl = false) =>
  text(allowUrl ? 'a repo-relative path or https:// URL' : 'a path relative to the repository root').superRefine(
    (value, ctx) => {
      const problem = lexicalPathProblem(value, allowUrl);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, params: { verbatim: true } });
    },
  );
/** Cross-key checks run even when a sibling key is invalid, so one pass reports every problem. */
const onObjects = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null };
const fraction01 = () => num({ min: 0, max: 1 });

const HeadSchema = strict({
  hidden: z
    .array(int({ min: 1, max: 4096 }), { error: 'a list of layer widths (integers from 1 to 4096)' })
    .default([])
    .describe('Widths of the dense hidden layers of the new head; [] is a linear head.'),
  dropout: num({ min: 0, lt: 1 }).default(0).describe('Dropout rate before each dense layer of the head.'),
});

const dim = int({ min: 8, max: 1024 });
const InputSchema = strict({
  size: z
    .tuple([dim, dim], { error: 'a list [height, width] of integers from 8 to 1024' })
    .optional()
    .describe("[height, width] fed to the base; default: the base's own input size."),
  channels: z.literal([1, 3], { error: 'one of 1, 3' }).default(3),
  scale: z
    .tuple([num({}), num({})], { error: 'a list [low, high] of numbers' })
    .refine(([lo, hi]) => lo < hi, { error: 'a list [low, high] with low < high' })
    .default([-1, 1])
    .describe('Pixel range fed to the base: 0..255 is mapped linearly onto [low, high].'),
  resize: oneOf(['bilinear', 'nearest']).default('bilinear'),
});

const ModelSchema = strict({
  base: repoPath(true)
    .optional()
    .describe('The pre-trained TF.js LayersModel: a repo-relative path or an https:// URL. Required for images.'),
  cut: text('a layer name')
    .optional()
    .describe('Layer whose output feeds the new head; default: the layer before the last.'),
  trainable: int({ min: 0 }).default(0).describe('Top base layers (with weights) to unfreeze; 0 keeps the base frozen.'),
  head: HeadSchema.prefault({}),
  input: InputSchema.prefault({}).describe('How images are resized and scaled for the base.'),
});

const IdxFilesSchema = strict({ images: repoPath(), labels: repoPath() });
const dataSource = (what: string) =>
  z
    .union([repoPath(), IdxFilesSchema], { error: 'a path, or for format idx a mapping { images, labels }' })
    .describe(`${what}: a directory (image-folder), a file (csv), or { images, labels } .gz files (idx).`);

const SplitSchema = strict({
  validation: num({ min: 0, lt: 1 }).default(0.1).describe('Fraction of train carved out for validation.'),
  test: num({ min: 0, lt: 1 }).default(0.2).describe('Fraction of train carved out for test when test is not given.'),
  stratify: bool().default(true),
}).superRefine((split, ctx) => {
  const { validation: v, test: t } = split;
  if (typeof v === 'number' && typeof t === 'number' && v + t >= 1) {
    ctx.addIssue({
      code: 'custom',
      message: `expected validation + test below 1, got ${v} + ${t}`,
      params: { verbatim: true },
    });
  }
}, onObjects);

const DataSchema = strict({
  format: oneOf(DATA_FORMATS).describe('image-folder (train/<class>/*.png|jpg), idx (MNIST-style .gz) or csv.'),
  train: dataSource('Training data'),
  validation: dataSource('Validation data; default: carved out of train').optional(),
  test: dataSource('Test data; default: carved out of train').optional(),
  split: SplitSchema.prefault({}).describe('Used for whatever of validation and test is not given.'),
  label: text('a column name').default('label').describe('csv: the label column.'),
  features: z
    .array(text('a column name'), { error: 'a list of column names' })
    .min(1, { error: 'a non-empty list of column names' })
    .optional()
    .describe('csv: the feature columns; default: every column but the label.'),
  classes: z
    .array(text('a class name'), { error: 'a list of class names' })
    .min(1, { error: 'a non-empty list of class names' })
    .optional()
    .describe('Fixes the label order (idx: names of labels 0..K-1); default: sorted names.'),
  max_bad_fraction: fraction01().default(0.01).describe('Undecodable files tolerated (skipped with a warning).'),
}).superRefine(checkDataShapes, onObjects);

type DataShape = { format?: unknown; classes?: unknown; features?: unknown } & Record<string, unknown>;

/** idx takes { images, labels } pairs, the other formats one path; names must not repeat. */
function checkDataShapes(data: DataShape, ctx: z.RefinementCtx): void {
  const add = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message, params: { verbatim: true } });
  const format = data.format;
  for (const key of ['train', 'validation', 'test']) {
    const source = data[key];
    if (format === 'idx' && typeof source === 'string') {
      add([key], `expected a mapping { images, labels } for format "idx", got "${source}"`);
    } else if ((format === 'image-folder' || format === 'csv') && typeof source === 'object' && source !== null) {
      add([key], `expected a path for format "${format}", got a mapping`);
    }
  }
  for (const key of ['classes', 'features']) {
    const names = data[key];
    if (!Array.isArray(names)) continue;
    const firstAt = new Map<unknown, number>();
    names.forEach((name, i) => {
      const first = firstAt.get(name);
      if (first === undefined) firstAt.set(name, i);
      else add([key, i], `expected unique names, got ${JSON.stringify(name)} again (first at data.${key}[${first}])`);
    });
  }
}

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
  warmup_epochs: num({ min: 0 }).optional().describe('Linear warmup from near 0 over these epochs (fractions allowed); default 1 for cosine, 0 otherwise.'),
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

const TrainSchema = strict({
  epochs: int({ min: 1, max: 10000 }).default(20),
  batch_size: int({ min: 1, max: 65536 }).default(32),
  optimizer: oneOf(OPTIMIZERS).default('adam'),
  learning_rate: num({ gt: 0, max: 10 }).default(0.001),
  weight_decay: num({ min: 0, max: 1 }).optional().describe('Decoupled weight decay of the kernels, times the rate, each step; default 0.01 with adamw, 0 otherwise.'),
  momentum: num({ min: 0, lt: 1 }).optional().describe('sgd: momentum; default 0.9.'),
  nesterov: bool().optional().describe('sgd: Nesterov momentum; default false.'),
  clip_norm: num({ gt: 0 }).optional().describe('Scales the gradients down to this global norm when above it; default: no clipping.'),
  schedule: ScheduleSchema.optional().describe('Learning-rate schedule, stepped per batch; default { type: cosine, warmup_epochs: 1 }.'),
  class_weights: ClassWeightsSchema.optional(),
  label_smoothing: num({ min: 0, lt: 1 }).optional().describe('Mixes this much of a uniform distribution into the targets; default 0.'),
  early_stopping: z
    .union([z.literal(false), EarlyStoppingSchema], { error: 'a mapping, or false to turn early stopping off' })
    .prefault({})
    .describe('Stops when the monitored metric stops improving and restores the best epoch; false: off.'),
  max_minutes: num({ gt: 0 }).default(30).describe('Budget: training stops and reports what was reached.'),
}).superRefine(checkTrainKeys, onObjects);

type TrainShape = { optimizer?: unknown; learning_rate?: unknown; schedule?: { min_lr?: unknown } } & Record<string, unknown>;

/** sgd-only keys with another optimizer, and a floor above the rate, are mistakes worth naming. */
function checkTrainKeys(train: TrainShape, ctx: z.RefinementCtx): void {
  const add = (path: string[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message, params: { verbatim: true } });
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

const RateGateSchema = strict({
  min: fraction01().optional().describe('Absolute floor.'),
  max_drop: fraction01().optional().describe('Largest allowed fall below the baseline.'),
}).refine((g) => g.min !== undefined || g.max_drop !== undefined, { error: 'at least one of min, max_drop' });
const LossGateSchema = strict({
  max: num({ min: 0 }).optional().describe('Absolute ceiling.'),
  max_rise: num({ min: 0 }).optional().describe('Largest allowed rise above the baseline.'),
}).refine((g) => g.max !== undefined || g.max_rise !== undefined, { error: 'at least one of max, max_rise' });

const rate = () => RateGateSchema.optional();
const GateMetricsSchema = strict({
  accuracy: rate(),
  precision_macro: rate(),
  recall_macro: rate(),
  f1_macro: rate(),
  precision_weighted: rate(),
  recall_weighted: rate(),
  f1_weighted: rate(),
  f1_micro: rate(),
  loss: LossGateSchema.optional(),
});

const BaselineSchema = strict({
  from: oneOf(BASELINE_SOURCES).default('none').describe('none: check min only; file: a report.json; artifact: the last run on a branch; model: evaluate a model bundle.'),
  path: repoPath().optional().describe('from file: a report.json (or its metrics); from model: a model bundle.'),
  branch: text('a branch name').optional().describe('from artifact: the branch whose last run is the baseline.'),
  workflow: text('a workflow file name').optional().describe('from artifact: the workflow that uploaded it.'),
  first_run: oneOf(['absolute-only', 'fail']).default('absolute-only').describe('When no baseline exists yet.'),
}).superRefine((b, ctx) => {
  if ((b.from === 'file' || b.from === 'model') && b.path === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['path'],
      message: `missing required key; expected a path relative to the repository root when from is "${b.from}"`,
      params: { verbatim: true },
    });
  }
}, onObjects);

const GateSchema = strict({
  metrics: GateMetricsSchema.prefault({}).describe('Per metric: min / max_drop (loss: max / max_rise).'),
  baseline: BaselineSchema.prefault({}),
  confidence: num({ gt: 0.5, lt: 1 }).default(0.95).describe('A drop is a regression only when significant at this level.'),
  repeats: int({ min: 1, max: 50 }).default(1).describe('Train the head with this many seeds; the verdict accounts for their spread.'),
  on_inconclusive: oneOf(['pass', 'fail']).default('pass'),
});

const OutputSchema = strict({
  dir: repoPath().default('finetune-out').describe('Where report.json, report.md and model/ are written.'),
  retention_days: int({ min: 1, max: 90 }).default(30).describe('How long uploaded artifacts are kept.'),
});

export const SpecSchema = strict({
  $schema: z.string({ error: 'a string' }).optional().describe('JSON Schema for editors; ignored.'),
  version: z.literal(1, { error: '1 (the only spec version)' }),
  name: z
    .string({ error: 'a name' })
    .regex(/^[a-z0-9-]{1,64}$/, { error: 'a name of a-z, 0-9 and - (1 to 64 characters)' })
    .describe('Used in artifact names and reports: a-z, 0-9 and -.'),
  task: oneOf(TASKS),
  seed: int({ min: 0 }).default(42).describe('Every random choice (split, init, shuffle, dropout) derives from it.'),
  model: ModelSchema.prefault({}).describe('The pre-trained base and the new head.'),
  data: DataSchema,
  train: TrainSchema.prefault({}),
  gate: GateSchema.prefault({}).describe('What a merge must meet, absolutely and against a baseline.'),
  output: OutputSchema.prefault({}),
})
  .superRefine(checkTaskFits, onObjects)
  .meta({
    title: 'finetune-action spec',
    description: 'Fine-tune a pre-trained TF.js model in CI and gate the merge on its metrics (finetune.yml).',
  });

type SpecShape = {
  task?: unknown;
  model?: { base?: unknown };
  data?: { format?: unknown; features?: unknown };
};

/** Rules that span sections. The value may hold invalid parts (zod runs this alongside their issues). */
function checkTaskFits(spec: SpecShape, ctx: z.RefinementCtx): void {
  const add = (path: string[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message, params: { verbatim: true } });
  const format = spec.data?.format;
  if (spec.task === 'image-classification') {
    if (spec.model?.base === undefined) {
      add(['model', 'base'], 'missing required key; expected a repo-relative path or https:// URL of a TF.js LayersModel for task "image-classification"');
    }
    if (format === 'csv') add(['data', 'format'], 'expected "image-folder" or "idx" for task "image-classification", got "csv"');
  }
  if (spec.task === 'tabular-classification' && (format === 'image-folder' || format === 'idx')) {
    add(['data', 'format'], `expected "csv" for task "tabular-classification", got "${format}"`);
  }
  if (format !== 'csv' && format !== undefined && spec.data?.features !== undefined) {
    add(['data', 'features'], `expected no features for format "${String(format)}" (they name csv columns)`);
  }
}

export type Spec = z.output<typeof SpecSchema>;
export type SpecInput = z.input<typeof SpecSchema>;
