// What a training phase trains: variables and the logits they produce for a batch of rows. Phase
// one trains the head on pooled features; phase two trains the unfrozen top of the base with it.
import { tf } from '../backend/tf.js';
import { headLogits, headVariables, type ForwardOptions, type Head } from './head.js';

export interface Trainee {
  variables: tf.Variable[];
  numClasses: number;
  /** Logits for a batch of input rows; dropout only when opts.dropoutSeed is set. */
  logits(x: tf.Tensor2D, opts: ForwardOptions): tf.Tensor2D;
  /** Rows per forward pass when evaluating (a base part needs far more memory per row than a head). */
  evalBatch: number;
  /** Set when the trainee is a head alone, which can also be trained as plain arrays. */
  head?: Head;
}

export function headTrainee(head: Head): Trainee {
  return {
    variables: headVariables(head),
    numClasses: head.layers[head.layers.length - 1].bias.shape[0],
    logits: (x, opts) => headLogits(head, x, opts),
    evalBatch: 1024,
    head,
  };
}

/** A copy of every weight, to restore the best epoch later. */
export async function snapshotVariables(vars: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(vars.map(async (v) => ((await v.data()) as Float32Array).slice()));
}

export function restoreVariables(vars: tf.Variable[], snapshot: Float32Array[]): void {
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(snapshot[i], v.shape))));
}
