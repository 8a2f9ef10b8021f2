// What the two ways of computing features (this thread, worker threads) share: where a finished
// batch's rows go, and the cancellation check between batches.
import { TrainingError } from '../errors.js';

/** Where each finished batch goes: `start` is its first row among the examples to compute. */
export type RowSink = (start: number, rows: Float32Array) => void;

/** Thrown between batches once `signal` is aborted (a cancelled job): exit 3, status interrupted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new TrainingError('the run was cancelled during feature extraction: no model to evaluate', { failure: 'interrupted' });
}
