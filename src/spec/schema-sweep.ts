// The sweep: section of the spec: a hyperparameter search over the head's learning rate and batch
// size. Trials are compared on a validation metric, never on the test set (src/sweep/).
import { z } from 'zod';
import { int, METRIC_NAMES, num, oneOf, onObjects, strict } from './schema-fields.js';

export const SWEEP_METHODS = ['grid', 'random'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];
/** Trials are ranked on validation data only, so only val_ metrics can be named. */
export const SWEEP_METRICS = METRIC_NAMES.map((m) => `val_${m}` as const) as unknown as readonly [
  `val_${(typeof METRIC_NAMES)[number]}`,
  ...`val_${(typeof METRIC_NAMES)[number]}`[],
];
/** A sweep bigger than this is a mistake, not a plan: each trial trains a head. */
export const MAX_TRIALS = 1000;

const list = <T extends z.ZodNumber>(item: T, what: string) =>
  z
    .array(item, { error: `a list of ${what}` })
    .min(1, { error: `a non-empty list of ${what}` })
    .superRefine(uniqueValues, onObjects);

export const SweepSchema = strict({
  learning_rate: list(num({ gt: 0, max: 10 }), 'learning rates (numbers in (0, 10])')
    .optional()
    .describe('Learning rates to try; default: train.learning_rate alone.'),
  batch_size: list(int({ min: 1, max: 65536 }), 'batch sizes (integers from 1 to 65536)')
    .optional()
    .describe('Batch sizes to try; default: train.batch_size alone.'),
  method: oneOf(SWEEP_METHODS)
    .default('grid')
    .describe(
      'grid: the combinations in order (learning_rate outer, batch_size inner); random: distinct combinations drawn with a seed derived from seed.',
    ),
  trials: int({ min: 1, max: MAX_TRIALS })
    .optional()
    .describe('How many combinations to train; default: all of them. grid takes the first N, random draws N.'),
  metric: oneOf(SWEEP_METRICS)
    .optional()
    .describe(
      'Validation metric that ranks the trials; default: train.early_stopping.monitor when it is a val_ metric, else val_f1_macro.',
    ),
}).superRefine(checkSweep, onObjects);

function uniqueValues(values: unknown[], ctx: z.RefinementCtx): void {
  const firstAt = new Map<unknown, number>();
  values.forEach((v, i) => {
    const first = firstAt.get(v);
    if (first === undefined) firstAt.set(v, i);
    else
      ctx.addIssue({
        code: 'custom',
        path: [i],
        message: `expected unique values, got ${String(v)} again (first at [${first}])`,
        params: { verbatim: true },
      });
  });
}

type SweepShape = { learning_rate?: unknown; batch_size?: unknown; trials?: unknown };

/** A sweep with nothing to vary is a typo; more trials than combinations cannot be honoured. */
function checkSweep(s: SweepShape, ctx: z.RefinementCtx): void {
  const add = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message, params: { verbatim: true } });
  if (s.learning_rate === undefined && s.batch_size === undefined) {
    add([], 'expected at least one of learning_rate, batch_size (the values to sweep)');
    return;
  }
  const size = (v: unknown) => (Array.isArray(v) ? v.length : 1);
  const combos = size(s.learning_rate) * size(s.batch_size);
  if (typeof s.trials === 'number' && s.trials > combos) {
    add(['trials'], `expected at most ${combos} (the number of learning_rate x batch_size combinations), got ${s.trials}`);
  }
}

type SpecShape = { sweep?: { learning_rate?: unknown }; train?: { schedule?: { min_lr?: unknown } } };

/** train.schedule.min_lr must stay below every rate the sweep tries, as it must below learning_rate. */
export function checkSweepFitsTrain(spec: SpecShape, ctx: z.RefinementCtx): void {
  const minLr = spec.train?.schedule?.min_lr;
  const rates = spec.sweep?.learning_rate;
  if (typeof minLr !== 'number' || !Array.isArray(rates)) return;
  rates.forEach((lr, i) => {
    if (typeof lr === 'number' && lr <= minLr) {
      const message = `expected a rate above train.schedule.min_lr (${minLr}), got ${lr}`;
      ctx.addIssue({ code: 'custom', path: ['sweep', 'learning_rate', i], message, params: { verbatim: true } });
    }
  });
}

export type SweepSpec = z.output<typeof SweepSchema>;
