// Out of GPU memory while training: retried with half the batch (at most twice, never below 8) on
// GPU backends; wasm and cpu keep the plain failure. The training function is injected.
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../src/spec/load.js';
import type { Spec } from '../src/spec/schema.js';
import type { EpochRecord, Report } from '../src/domain/types.js';
import { retriedBatchNote } from '../src/report/markdown.js';
import { MIN_RETRY_BATCH, nextBatchSize, trainWithBatchFallback } from '../src/pipeline/batch-fallback.js';
import { guardMemory, isOutOfMemory } from '../src/pipeline/out-of-memory.js';
import { EXIT, TrainingError } from '../src/errors.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import { SPEC_HEAD } from './helpers/spec-text.js';

const specWithBatch = (batch: number): Spec => parseSpec(`${SPEC_HEAD}train:\n  batch_size: ${batch}\n`, 'finetune.yml');
const OOM = () => new Error('OOM when allocating tensor with shape[64,1280] on /job:localhost/device:GPU:0');

type Trained = { trained: { best: { history: EpochRecord[] } }; batch: number };

/** Fails with `errors` in turn, then trains: records the batch size of every call. */
function scriptedTraining(errors: Array<() => Error>) {
  const calls: number[] = [];
  const train = async (spec: Spec): Promise<Trained> => {
    calls.push(spec.train.batch_size);
    const next = errors.shift();
    if (next) throw next();
    const history = [1, 2].map((epoch) => ({ epoch, loss: 1 / epoch, val_loss: 1 / epoch }));
    return { trained: { best: { history } }, batch: spec.train.batch_size };
  };
  return { calls, train };
}

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (m) => warnings.push(m) };
}

describe('the next batch size', () => {
  it('halves, at most twice, never below the floor', () => {
    expect(nextBatchSize(64, 0)).toBe(32);
    expect(nextBatchSize(32, 1)).toBe(16);
    expect(nextBatchSize(16, 2)).toBeUndefined();
    expect(nextBatchSize(16, 0)).toBe(MIN_RETRY_BATCH);
    expect(nextBatchSize(15, 0)).toBeUndefined();
  });
});

describe('training on a GPU backend', () => {
  it('retries once with half the batch after an out-of-memory, says so, and records the size in the history', async () => {
    const { calls, train } = scriptedTraining([OOM]);
    const log = recordingLog();
    const spec = specWithBatch(64);
    const result = await trainWithBatchFallback({ spec, backend: 'tensorflow-gpu', log }, train);
    expect(calls).toEqual([64, 32]);
    expect(result.batch).toBe(32);
    expect(result.trained.best.history.map((r) => r.batch_size)).toEqual([32, 32]);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/out of GPU memory .*batch_size 64 on tensorflow-gpu; retrying with batch_size 32/);
    // The caller's spec is not changed.
    expect(spec.train.batch_size).toBe(64);
  });

  it('a run that fits the first time records nothing extra', async () => {
    const { calls, train } = scriptedTraining([]);
    const result = await trainWithBatchFallback({ spec: specWithBatch(64), backend: 'webgpu', log: silentLogger }, train);
    expect(calls).toEqual([64]);
    expect(result.trained.best.history.every((r) => r.batch_size === undefined)).toBe(true);
  });

  it('gives up after two retries with an out-of-memory error naming the sizes tried, which becomes exit 3', async () => {
    const { calls, train } = scriptedTraining([OOM, OOM, OOM, OOM]);
    const err = await guardMemory('training', 'lower train.batch_size', () =>
      trainWithBatchFallback({ spec: specWithBatch(64), backend: 'webgpu', log: silentLogger }, train),
    ).catch((e: unknown) => e);
    expect(calls).toEqual([64, 32, 16]);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as TrainingError).exitCode).toBe(EXIT.TRAINING_FAILED);
    expect((err as Error).message).toMatch(
      /out of memory during training \(OOM when allocating.*also after retrying with batch_size 32, 16\)/,
    );
  });

  it('stops at the floor of 8', async () => {
    const { calls, train } = scriptedTraining([OOM, OOM, OOM]);
    const err = await trainWithBatchFallback({ spec: specWithBatch(16), backend: 'tensorflow-gpu', log: silentLogger }, train).catch(
      (e: unknown) => e,
    );
    expect(calls).toEqual([16, 8]);
    expect(isOutOfMemory(err)).toBe(true);
  });

  it('leaves a sweep alone: its trials choose the batch sizes', async () => {
    const spec = parseSpec(`${SPEC_HEAD}train:\n  batch_size: 64\nsweep:\n  learning_rate: [0.01, 0.001]\n`, 'finetune.yml');
    const { calls, train } = scriptedTraining([OOM]);
    const err = await trainWithBatchFallback({ spec, backend: 'tensorflow-gpu', log: silentLogger }, train).catch((e: unknown) => e);
    expect(calls).toEqual([64]);
    expect(isOutOfMemory(err)).toBe(true);
  });

  it('does not retry errors other than out-of-memory', async () => {
    const { calls, train } = scriptedTraining([() => new Error('loss is NaN')]);
    const err = await trainWithBatchFallback({ spec: specWithBatch(64), backend: 'tensorflow-gpu', log: silentLogger }, train).catch(
      (e: unknown) => e,
    );
    expect(calls).toEqual([64]);
    expect((err as Error).message).toBe('loss is NaN');
  });
});

describe('training on a CPU backend', () => {
  it.each(['wasm', 'cpu', 'tensorflow'])('%s keeps the plain out-of-memory failure', async (backend) => {
    const { calls, train } = scriptedTraining([OOM]);
    const err = await trainWithBatchFallback({ spec: specWithBatch(64), backend, log: silentLogger }, train).catch((e: unknown) => e);
    expect(calls).toEqual([64]);
    expect((err as Error).message).toBe(OOM().message);
  });
});

describe('report.md', () => {
  it('says when training ran at a smaller batch than asked', () => {
    const history = (extra: Record<string, number>) => ({ history: [{ epoch: 1, loss: 1, val_loss: 1, ...extra }] }) as unknown as Report;
    expect(retriedBatchNote(history({ batch_size: 16 }))).toMatch(/Trained with batch_size 16: larger batches ran out of GPU memory/);
    expect(retriedBatchNote(history({}))).toBe('');
  });
});
