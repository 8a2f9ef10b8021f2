// Checkpoints: the optimizer's state and the checkpoint files round-trip exactly, and a run cancelled
// after epoch 2 and resumed ends bit-identical to one that was never cancelled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { ConfigError } from '../src/errors.js';
import { runPipeline, type RunOptions } from '../src/pipeline/run.js';
import { SpecSchema } from '../src/spec/schema.js';
import { readCheckpoint, writeCheckpoint, type TrainingState } from '../src/train/checkpoint.js';
import { disposeHead, headVariables } from '../src/train/head.js';
import { snapshotVariables } from '../src/train/trainee.js';
import { trainHead, type TrainOptions } from '../src/train/loop.js';
import { createOptimizer, type OptimizerConfig } from '../src/train/optimizer.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import { defaultSpec, makeTinyRepo } from './helpers/tiny-repo.js';
import { clusters } from './train-data.js';

beforeAll(async () => {
  await selectBackend('wasm', silentLogger);
});

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-ckpt-'));
const hex = (arrays: Float32Array[]) => arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex'));

describe('optimizer state', () => {
  const configs: OptimizerConfig[] = [
    { optimizer: 'adam', weight_decay: 0, momentum: 0, nesterov: false },
    { optimizer: 'adamw', weight_decay: 0.01, momentum: 0, nesterov: false },
    { optimizer: 'sgd', weight_decay: 0, momentum: 0.9, nesterov: false },
    { optimizer: 'sgd', weight_decay: 0, momentum: 0.9, nesterov: true },
    { optimizer: 'rmsprop', weight_decay: 0, momentum: 0, nesterov: false },
  ];

  it.each(configs)('$optimizer (nesterov $nesterov): a copy given the state steps exactly like the original', async (cfg) => {
    const grads = [0.3, -1.2, 0.05, 2, -0.7, 0.01].map((g, i) => tf.tensor2d([g, -g, g * i, 1 - g], [2, 2]));
    const a = tf.variable(tf.tensor2d([1, -2, 3, 0.5], [2, 2]));
    const optA = createOptimizer(cfg, [a]);
    grads.slice(0, 3).forEach((g) => optA.step([g], 0.05));
    const state = await optA.getState();
    expect(state.step).toBe(3);

    const b = tf.variable(a.clone());
    const optB = createOptimizer(cfg, [b]);
    optB.setState(state);
    expect(hex((await optB.getState()).slots)).toEqual(hex(state.slots));
    grads.slice(3).forEach((g) => {
      optA.step([g], 0.02);
      optB.step([g], 0.02);
    });
    expect(Buffer.from((await b.data()).buffer).equals(Buffer.from((await a.data()).buffer))).toBe(true);
    [optA, optB].forEach((o) => o.dispose());
    [a, b, ...grads].forEach((t) => t.dispose());
  });
});

describe('checkpoint files', () => {
  it('keep NaN, the infinities, -0 and float32 bytes exactly', async () => {
    const dir = path.join(tmpDir(), 'repeat-0');
    const state: TrainingState = {
      nextEpoch: 3,
      earlyStopped: false,
      seconds: 1.25,
      history: [
        { epoch: 1, loss: 0.1 + 0.2, val_loss: NaN, lr: 1e-3 / 3 },
        { epoch: 2, loss: -0, val_loss: Infinity },
      ],
      earlyStopping: { best: -Infinity, bestEpoch: 0, wait: 0 },
      plateau: { best: Infinity, wait: 1, scale: 0.5 ** 3 },
      optimizer: { step: 20, slots: [Float32Array.of(Math.PI, -0, 1e-45), Float32Array.of(NaN)] },
      weights: [Float32Array.of(1 / 3, 2 / 3)],
      best: [Float32Array.of(Math.E)],
    };
    await writeCheckpoint(dir, { seed: '7' }, state);
    const back = readCheckpoint(dir, { seed: '7' })!;
    expect(back.history).toEqual(state.history);
    expect(Object.is(back.history[1].loss, -0)).toBe(true);
    expect(back.earlyStopping.best).toBe(-Infinity);
    expect(back.plateau).toEqual(state.plateau);
    expect(back.optimizer.step).toBe(20);
    expect(hex(back.optimizer.slots)).toEqual(hex(state.optimizer.slots));
    expect(hex(back.weights)).toEqual(hex(state.weights));
    expect(hex(back.best)).toEqual(hex(state.best));
    expect(readCheckpoint(path.join(dir, 'none'), { seed: '7' })).toBeUndefined();
    expect(() => readCheckpoint(dir, { seed: '8' })).toThrow(/seed \(checkpoint 7, now 8\)/);
  });
});

describe('trainHead resume', () => {
  const data = clusters({ perClass: [50, 40, 30], valPerClass: 20, dim: 6, separation: 1.5, seed: 2 });
  const train = SpecSchema.shape.train.parse({
    optimizer: 'adam',
    learning_rate: 0.03,
    epochs: 15,
    batch_size: 16,
    clip_norm: 1,
    early_stopping: { monitor: 'val_accuracy', patience: 5 },
    schedule: { type: 'plateau', monitor: 'val_accuracy', patience: 1 },
  });
  const options = (extra: Partial<TrainOptions>): TrainOptions => ({
    train,
    head: { hidden: [8], dropout: 0.2 },
    labels: data.labels,
    seed: 3,
    log: silentLogger,
    ...extra,
  });
  const result = async (opts: TrainOptions) => {
    const r = await trainHead(data.train, data.val, opts);
    const weights = hex(await snapshotVariables(headVariables(r.head)));
    disposeHead(r.head);
    return { weights, history: r.history, bestEpoch: r.bestEpoch, stopped: r.stopped };
  };

  it('continues bit-identically with early-stopping and plateau state, and warns when there is nothing to resume', async () => {
    const a = await result(options({}));
    // The cut below falls after the rate was cut, with the best epoch behind and patience running.
    expect(a.stopped).toBe('early_stopping');
    expect(a.history[5].lr).toBeLessThan(a.history[0].lr!);
    expect(a.bestEpoch).toBeLessThan(6);
    const dir = tmpDir();
    const warnings: string[] = [];
    const cancel = new AbortController();
    const cancelling: Logger = { ...silentLogger, progress: (m) => m.startsWith('epoch 6/') && cancel.abort() };
    const cut = await result(options({ signal: cancel.signal, log: cancelling, checkpoint: { dir, resume: false } }));
    expect(cut.stopped).toBe('interrupted');
    expect(cut.history).toHaveLength(6);
    const b = await result(options({ checkpoint: { dir, resume: true } }));
    expect(b).toEqual(a);
    // The last checkpoint holds an early-stopped run: resuming it trains nothing and gives the same head.
    expect(await result(options({ checkpoint: { dir, resume: true } }))).toEqual(a);

    const fresh = await result(
      options({ log: { ...silentLogger, warn: (m) => warnings.push(m) }, checkpoint: { dir: path.join(dir, 'none'), resume: true } }),
    );
    expect(warnings.join('\n')).toMatch(/--resume: no checkpoint in .*none; training from the first epoch/);
    expect(fresh).toEqual(a);
  });
});

describe('runPipeline --resume', () => {
  const spec = defaultSpec().replace('epochs: 6', 'epochs: 8').replace('early_stopping: { patience: 3 }', 'early_stopping: false');

  it('a run cancelled after epoch 2 and resumed ends with the metrics, history and weights of an uninterrupted run', async () => {
    const repo = makeTinyRepo({ train: 300, test: 100, spec });
    fs.writeFileSync(path.join(repo, 'faster.yml'), spec.replace('batch_size: 32', 'batch_size: 32\n  learning_rate: 0.01'));
    const base = (out: string, extra: Partial<RunOptions> = {}): RunOptions => ({
      specPath: path.join(repo, 'finetune.yml'),
      outDir: path.join(repo, out),
      backend: 'wasm',
      cacheDir: path.join(repo, '.cache'),
      log: silentLogger,
      ...extra,
    });
    const a = await runPipeline(base('out-a'));
    expect(a.report.status).toBe('complete');
    expect(fs.existsSync(path.join(repo, 'out-a/checkpoint'))).toBe(false);

    const cancel = new AbortController();
    const cancelling: Logger = { ...silentLogger, progress: (m) => m.startsWith('epoch 2/') && cancel.abort() };
    const cut = await runPipeline(base('out-b', { signal: cancel.signal, log: cancelling }));
    expect(cut.report.status).toBe('interrupted');
    expect(cut.exitCode).toBe(3);
    expect(cut.report.history).toHaveLength(2);
    expect(fs.existsSync(path.join(repo, 'out-b/checkpoint/repeat-0/tensors.bin'))).toBe(true);

    const refused = await runPipeline(base('out-b', { specPath: path.join(repo, 'faster.yml'), resume: true })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).exitCode).toBe(2);
    expect((refused as Error).message).toMatch(/train\.learning_rate \(checkpoint 0\.001, now 0\.01\)/);

    const b = await runPipeline(base('out-b', { resume: true }));
    expect(b.report.status).toBe('complete');
    expect(b.report.metrics).toEqual(a.report.metrics);
    expect(b.report.history).toEqual(a.report.history);
    expect(b.report.best_epoch).toBe(a.report.best_epoch);
    expect(b.report.predictions).toEqual(a.report.predictions);
    const weights = (out: string) => fs.readFileSync(path.join(repo, out, 'model/weights.bin'));
    expect(weights('out-b').equals(weights('out-a'))).toBe(true);
    expect(fs.existsSync(path.join(repo, 'out-b/checkpoint'))).toBe(false);
  });
});
