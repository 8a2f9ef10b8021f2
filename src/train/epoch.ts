// One pass over the training features: seeded shuffle, seeded dropout, a scheduled rate per step.
import { tf } from '../backend/tf.js';
import { TrainingError } from '../errors.js';
import type { FeatureMatrix } from '../features/extract.js';
import { createRng, deriveSeed, permutation } from '../util/random.js';
import { learningRateAt } from './schedule.js';
import type { TrainSettings } from './settings.js';
import type { StepRunner } from './step.js';

export interface LabelledFeatures {
  x: FeatureMatrix;
  y: Int32Array;
}

export interface EpochContext {
  vars: tf.Variable[];
  data: LabelledFeatures;
  steps: StepRunner;
  settings: TrainSettings;
  /** Product of plateau reductions so far. */
  plateauScale: number;
  /** Asked between steps: a reason to stop now (a cancel signal, the time budget), or undefined. */
  stopReason?: () => StopReason | undefined;
}

export type StopReason = 'interrupted' | 'budget_reached';

/** Steps between two yields to the event loop, so a cancel signal is seen mid-epoch. */
const YIELD_EVERY = 16;

export const stepsPerEpoch = (rows: number, batch: number): number => Math.ceil(rows / batch);

/**
 * Mean training loss of the epoch and the rate of its last step. `epoch` is 0-based. When asked to
 * stop midway it returns `stopped`; the caller discards the partial epoch.
 */
export async function runEpoch(
  ctx: EpochContext,
  epoch: number,
  seed: number,
): Promise<{ loss: number; lr: number; stopped?: StopReason }> {
  const { x } = ctx.data;
  const s = ctx.settings;
  const order = permutation(x.rows, createRng(seed));
  const clock = { epoch, step: 0, stepsPerEpoch: stepsPerEpoch(x.rows, s.batch_size), epochs: s.epochs };
  let total = 0;
  let lr = 0;
  await ctx.steps.begin();
  try {
    for (let start = 0; start < x.rows; start += s.batch_size, clock.step++) {
      if (clock.step % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      const stopped = ctx.stopReason?.();
      if (stopped) return { loss: NaN, lr, stopped };
      const idx = order.subarray(start, Math.min(start + s.batch_size, x.rows));
      lr = learningRateAt(s.learning_rate, s.schedule, clock, ctx.plateauScale);
      const value = await ctx.steps.step(ctx.data, idx, lr, deriveSeed(seed, 'dropout', clock.step));
      if (!Number.isFinite(value)) throw divergence(`the loss became ${value}`, epoch + 1, clock.step + 1, lr, s.learning_rate);
      total += value * idx.length;
    }
  } finally {
    ctx.steps.end();
  }
  // The last update can overflow after its loss was taken; evaluation would then see NaN.
  if (!(await allFinite(ctx.vars))) throw divergence('the weights overflowed', epoch + 1, clock.step, lr, s.learning_rate);
  return { loss: total / x.rows, lr };
}

// Reads go through data(), not dataSync(): the WebGPU backend cannot read synchronously in Node.
async function allFinite(vars: tf.Variable[]): Promise<boolean> {
  const ok = tf.tidy(() => tf.stack(vars.map((v) => tf.all(tf.isFinite(v)))).all());
  const value = (await ok.data())[0];
  ok.dispose();
  return value === 1;
}

function divergence(what: string, epoch: number, step: number, lr: number, base: number): TrainingError {
  return new TrainingError(
    `training diverged: ${what} at epoch ${epoch}, step ${step} (learning rate ${lr.toPrecision(3)}); ` +
      `try a lower train.learning_rate (now ${base}, e.g. ${base / 10}) or set train.clip_norm`,
    { failure: 'diverged' },
  );
}
