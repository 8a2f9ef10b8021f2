// A GPU has a fixed amount of memory that another tenant of the machine may be using: when training
// runs out of it, halving the batch usually fits. Retried at most twice, never below 8; wasm and
// cpu keep the plain out-of-memory failure (their limit is the process, and a smaller batch there
// is a choice the user should make).
import type { Logger } from '../util/log.js';
import type { EpochRecord } from '../domain/types.js';
import type { Spec } from '../spec/schema.js';
import { isOutOfMemory } from './out-of-memory.js';

export const GPU_BACKENDS: readonly string[] = ['tensorflow-gpu', 'webgpu'];
export const MIN_RETRY_BATCH = 8;
export const MAX_BATCH_RETRIES = 2;

/** The batch size to retry with after an out-of-memory at `batch`, or undefined when none is left. */
export function nextBatchSize(batch: number, retriesDone: number): number | undefined {
  const half = Math.floor(batch / 2);
  return retriesDone < MAX_BATCH_RETRIES && half >= MIN_RETRY_BATCH ? half : undefined;
}

export interface BatchFallbackOptions {
  spec: Spec;
  backend: string;
  log: Logger;
}

/**
 * Runs `train` with the spec; on a GPU out-of-memory, again with train.batch_size halved. After a
 * retry, each epoch of the history records the batch size it trained with (next to its learning
 * rate). The final out-of-memory error is rethrown, naming every batch size tried. A sweep picks
 * batch sizes per trial, so it is not retried here.
 */
export async function trainWithBatchFallback<T extends { trained: { best: { history: EpochRecord[] } } }>(
  opts: BatchFallbackOptions,
  train: (spec: Spec) => Promise<T>,
): Promise<T> {
  const retries = GPU_BACKENDS.includes(opts.backend) && !opts.spec.sweep;
  const tried: number[] = [];
  let batch = opts.spec.train.batch_size;
  for (;;) {
    tried.push(batch);
    try {
      const result = await train(tried.length === 1 ? opts.spec : { ...opts.spec, train: { ...opts.spec.train, batch_size: batch } });
      if (tried.length > 1) for (const record of result.trained.best.history) record.batch_size = batch;
      return result;
    } catch (err) {
      const next = retries && isOutOfMemory(err) ? nextBatchSize(batch, tried.length - 1) : undefined;
      if (next === undefined) throw tried.length > 1 ? withTriedSizes(err, tried) : err;
      opts.log.warn(
        `out of GPU memory while training at train.batch_size ${batch} on ${opts.backend}; retrying with batch_size ${next} (recorded in the report's history)`,
      );
      batch = next;
    }
  }
}

function withTriedSizes(err: unknown, tried: number[]): Error {
  const message = `${err instanceof Error ? err.message.split('\n')[0] : String(err)} (also after retrying with batch_size ${tried.slice(1).join(', ')})`;
  return new Error(message, { cause: err });
}
