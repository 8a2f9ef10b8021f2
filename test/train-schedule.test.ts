// Learning-rate schedules as pure functions: the exact rate at given epochs and steps, and
// reduce-on-plateau's reaction to a metric that stops moving (alone and inside training).
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { SpecSchema } from '../src/spec/schema.js';
import { trainHead } from '../src/train/loop.js';
import { initialPlateau, learningRateAt, observePlateau } from '../src/train/schedule.js';
import { resolveTrainSettings, type ScheduleSettings } from '../src/train/settings.js';
import { silentLogger } from '../src/util/log.js';
import { clusters } from './train-data.js';

const schedule = (s: Record<string, unknown>): ScheduleSettings =>
  resolveTrainSettings(SpecSchema.shape.train.parse({ learning_rate: 0.1, schedule: s })).schedule;

/** The rate at every step of `epochs` epochs of `spe` steps. */
const rates = (s: ScheduleSettings, epochs: number, spe: number, scale = 1) =>
  Array.from({ length: epochs * spe }, (_, g) =>
    learningRateAt(0.1, s, { epoch: Math.floor(g / spe), step: g % spe, stepsPerEpoch: spe, epochs }, scale),
  );

describe('learning rate per epoch and step', () => {
  it('constant keeps the base rate', () => {
    expect(rates(schedule({ type: 'constant' }), 3, 2)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
  });

  it('step multiplies by gamma every step_size epochs', () => {
    const r = rates(schedule({ type: 'step', step_size: 2, gamma: 0.5 }), 5, 1);
    expect(r).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('exponential multiplies by gamma every epoch, the same for each step within it', () => {
    const r = rates(schedule({ type: 'exponential', gamma: 0.9 }), 3, 2);
    expect(r).toEqual([0.1, 0.1, 0.1 * 0.9, 0.1 * 0.9, 0.1 * 0.9 ** 2, 0.1 * 0.9 ** 2]);
  });

  it('cosine warms up linearly over its first epoch, then falls along a half cosine to min_lr', () => {
    const r = rates(schedule({ type: 'cosine', min_lr: 0.01 }), 5, 4);
    [0.025, 0.05, 0.075, 0.1].forEach((x, i) => expect(r[i]).toBeCloseTo(x, 15));
    expect(r[4]).toBe(0.1);
    // 8 of the 16 steps after the warmup: halfway down.
    expect(r[12]).toBeCloseTo(0.01 + 0.09 * 0.5, 12);
    expect(r[19]).toBeCloseTo(0.01 + 0.09 * 0.5 * (1 + Math.cos((Math.PI * 15) / 16)), 12);
    expect(r.slice(5).every((x, i) => x <= r[i + 4])).toBe(true);
  });

  it('cosine without warmup starts at the base rate', () => {
    expect(rates(schedule({ type: 'cosine', warmup_epochs: 0 }), 2, 2)[0]).toBe(0.1);
  });

  it('a warmup also ramps the other schedules, fractions of an epoch allowed', () => {
    expect(rates(schedule({ type: 'constant', warmup_epochs: 0.5 }), 1, 4)).toEqual([0.05, 0.1, 0.1, 0.1]);
  });

  it('plateau scales the base rate by the reductions so far, never below min_lr', () => {
    const s = schedule({ type: 'plateau', min_lr: 0.001 });
    expect(rates(s, 1, 1, 0.04)).toEqual([0.1 * 0.04]);
    expect(rates(s, 1, 1, 0.0016)).toEqual([0.001]);
  });
});

describe('reduce on plateau', () => {
  const s = schedule({ type: 'plateau', patience: 2, factor: 0.2 });

  it('multiplies the rate by factor after patience epochs of a flat metric, then waits again', () => {
    let state = initialPlateau('max');
    const scales: number[] = [];
    for (let epoch = 0; epoch < 6; epoch++) {
      state = observePlateau(state, 0.5, 'max', s);
      scales.push(state.scale);
    }
    expect(scales.map((x) => +x.toFixed(6))).toEqual([1, 1, 0.2, 0.2, 0.04, 0.04]);
  });

  it('keeps the rate while the metric improves (a falling loss in min mode)', () => {
    let state = initialPlateau('min');
    for (const loss of [1, 0.9, 0.8, 0.7]) state = observePlateau(state, loss, 'min', s);
    expect(state).toEqual({ best: 0.7, wait: 0, scale: 1 });
  });

  it('lowers the rate during training when the monitored validation metric is flat', async () => {
    await selectBackend('cpu', silentLogger);
    const { train, labels } = clusters({ perClass: [40, 40], valPerClass: 0, dim: 4, separation: 6, seed: 3 });
    // One easy validation example: accuracy is 1 from the first epoch on, a perfectly flat metric.
    const val = { x: { rows: 1, dim: 4, data: Float32Array.from([6, 0, 0, 0]) }, y: Int32Array.from([0]) };
    const spec = SpecSchema.shape.train.parse({
      epochs: 5,
      learning_rate: 0.01,
      early_stopping: false,
      schedule: { type: 'plateau', monitor: 'val_accuracy', patience: 1, factor: 0.5 },
    });
    const r = await trainHead(train, val, { train: spec, head: { hidden: [], dropout: 0 }, labels, seed: 1, log: silentLogger });
    expect(r.history.map((h) => h.val_accuracy)).toEqual([1, 1, 1, 1, 1]);
    expect(r.history.map((h) => h.lr)).toEqual([0.01, 0.01, 0.005, 0.0025, 0.00125]);
  });
});
