// What a trial's result depends on besides the spec: the training and validation examples in
// order, the classes, the base model and the backend. Shards must agree on all of it to be merged.
import type { Dataset } from '../data/types.js';
import { sha256 } from '../util/hash.js';

export interface SweepFingerprint {
  spec_sha256: string;
  /** The train and validation examples (content and label, in order) and the classes; never the test set. */
  data_sha256: string;
  base_model_sha256: string;
  backend: string;
  seed: number;
}

export function sweepDataSha256(data: Pick<Dataset, 'classes' | 'train' | 'validation'>): string {
  const line = (set: string) => (e: Dataset['train'][number]) => `${set} ${e.sha256} ${data.classes[e.label]}`;
  return sha256(
    [`classes ${JSON.stringify(data.classes)}`, ...data.train.map(line('train')), ...data.validation.map(line('validation'))].join('\n'),
  );
}
