// The training loop as a whole: divergence ends with exit 3, the same seed gives bit-identical
// weights, each epoch logs one progress line and lands in the history with its rate.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { ConfigError, TrainingError } from '../src/errors.js';
import { SpecSchema, type Spec } from '../src/spec/schema.js';
import { disposeHead, headVariables } from '../src/train/head.js';
import { snapshotVariables } from '../src/train/trainee.js';
import { trainHead, type TrainOptions } from '../src/train/loop.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import { clusters } from './train-data.js';

beforeAll(async () => {
  await selectBackend('cpu', silentLogger);
});

const data = clusters({ perClass: [50, 40, 30], valPerClass: 20, dim: 6, separation: 2.5, seed: 2 });
const trainSpec = (t: Record<string, unknown>): Spec['train'] => SpecSchema.shape.train.parse(t);
const options = (t: Record<string, unknown>, extra: Partial<TrainOptions> = {}): TrainOptions => ({
  train: trainSpec(t),
  head: { hidden: [16], dropout: 0 },
  labels: data.labels,
  seed: 42,
  log: silentLogger,
  ...extra,
});

describe('divergence', () => {
  it('stops with a TrainingError (exit 3) that suggests a lower rate when the loss is no longer finite', async () => {
    const opts = options(
      { optimizer: 'sgd', learning_rate: 10, epochs: 30, early_stopping: false, schedule: { type: 'constant' } },
      { head: { hidden: [128], dropout: 0 }, seed: 1 },
    );
    const err = await trainHead(data.train, data.val, opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as TrainingError).exitCode).toBe(3);
    expect((err as Error).message).toMatch(
      /^training diverged: (the loss became (NaN|Infinity)|the weights overflowed) at epoch \d+, step \d+ \(learning rate 10\.0\); try a lower train\.learning_rate \(now 10, e\.g\. 1\)/,
    );
  });
});

describe('determinism', () => {
  it('gives bit-identical weights and history for the same seed, with every randomised feature on', async () => {
    const t = {
      optimizer: 'adamw',
      epochs: 4,
      clip_norm: 1,
      label_smoothing: 0.1,
      class_weights: 'balanced',
      schedule: { warmup_epochs: 0.5 },
    };
    const run = async (seed: number) => {
      const r = await trainHead(data.train, data.val, options(t, { seed, head: { hidden: [16], dropout: 0.3 } }));
      const weights = (await snapshotVariables(headVariables(r.head))).map((a) => Buffer.from(a.buffer).toString('hex'));
      disposeHead(r.head);
      return { weights, history: r.history };
    };
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(b.weights).toEqual(a.weights);
    expect(b.history).toEqual(a.history);
    expect(c.weights).not.toEqual(a.weights);
  });
});

describe('progress and history', () => {
  it('logs one line per epoch with loss, validation metrics, rate, seconds and ETA', async () => {
    const lines: string[] = [];
    const log: Logger = { ...silentLogger, progress: (m) => lines.push(m) };
    let clock = 0;
    const now = () => (clock += 250);
    const r = await trainHead(data.train, data.val, options({ epochs: 3, early_stopping: false }, { log, now }));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^epoch 1\/3: loss \d\.\d{4} val_loss \d\.\d{4} val_accuracy \d\.\d{4} val_f1_macro \d\.\d{4} lr \S+ \(\d+\.\d s, ETA \d+ s\) \*$/,
    );
    expect(lines[2]).toMatch(/^epoch 3\/3: .*ETA 0 s\)/);
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    for (const h of r.history)
      expect(Object.keys(h)).toEqual(expect.arrayContaining(['loss', 'val_loss', 'val_accuracy', 'val_f1_macro', 'lr']));
  });

  it('records the rate of each epoch: the default cosine schedule rises over the warmup, then falls', async () => {
    const r = await trainHead(data.train, data.val, options({ epochs: 5, early_stopping: false }));
    const lr = r.history.map((h) => h.lr);
    expect(lr[0]).toBeCloseTo(0.001, 12); // the last step of the warmup epoch reaches the base rate
    expect(lr.slice(1).every((x, i) => x < lr[i])).toBe(true);
  });

  it('restores the best epoch when early stopping ends training', async () => {
    const opts = options({
      epochs: 40,
      learning_rate: 0.05,
      schedule: { type: 'constant' },
      early_stopping: { monitor: 'val_loss', patience: 2 },
    });
    const r = await trainHead(data.train, data.val, opts);
    expect(r.stopped).toBe('early_stopping');
    const best = r.history.reduce((a, h) => (h.val_loss < a.val_loss - 0.001 ? h : a));
    expect(r.bestEpoch).toBe(best.epoch);
  });
});

describe('settings checked before training (exit 2)', () => {
  it('rejects a monitor that is not computed each epoch', async () => {
    const opts = options({ early_stopping: { monitor: 'accuracy' } });
    await expect(trainHead(data.train, data.val, opts)).rejects.toThrow(ConfigError);
    await expect(trainHead(data.train, data.val, opts)).rejects.toThrow('train.early_stopping.monitor: expected "loss" or a val_ metric');
  });

  it('rejects class weights for a label the data does not have', async () => {
    await expect(trainHead(data.train, data.val, options({ class_weights: { c9: 2 } }))).rejects.toThrow(
      'train.class_weights.c9: unknown label',
    );
  });
});
