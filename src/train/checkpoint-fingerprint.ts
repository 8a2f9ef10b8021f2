// What a checkpoint must agree on to be resumed: everything that shapes the training steps after
// it. train.max_minutes is left out on purpose: a run stopped by its budget resumes with more time.
import { createHash } from 'node:crypto';
import type { LabelledFeatures } from './epoch.js';
import type { HeadShape } from './head.js';
import type { TrainSettings } from './settings.js';

/** Flat key -> JSON text of the value, so a mismatch can name the key. */
export type TrainingFingerprint = Record<string, string>;

export interface FingerprintInput {
  settings: TrainSettings;
  shape: HeadShape;
  dropout: number;
  labels: string[];
  seed: number;
  train: LabelledFeatures;
  val: LabelledFeatures;
}

export function trainingFingerprint(i: FingerprintInput): TrainingFingerprint {
  const { max_minutes: _budget, ...settings } = i.settings;
  return {
    ...flatten('train', settings),
    'model.head.hidden': JSON.stringify(i.shape.hidden),
    'model.head.dropout': JSON.stringify(i.dropout),
    'feature dimension': JSON.stringify(i.shape.inputDim),
    classes: JSON.stringify(i.labels),
    seed: JSON.stringify(i.seed),
    'training features': featuresSha256(i.train),
    'validation features': featuresSha256(i.val),
  };
}

/** Keys whose values differ, with both values: `train.learning_rate (checkpoint 0.001, now 0.01)`. */
export function fingerprintDiff(saved: TrainingFingerprint, now: TrainingFingerprint): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])];
  return keys.filter((k) => saved[k] !== now[k]).map((k) => `${k} (checkpoint ${saved[k] ?? 'unset'}, now ${now[k] ?? 'unset'})`);
}

function flatten(prefix: string, value: unknown): TrainingFingerprint {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return value === undefined ? {} : { [prefix]: JSON.stringify(value) };
  return Object.assign({}, ...Object.entries(value).map(([k, v]) => flatten(`${prefix}.${k}`, v)));
}

// The feature bytes themselves, not their source: a changed cache or backend must not resume.
function featuresSha256(d: LabelledFeatures): string {
  const h = createHash('sha256');
  h.update(`${d.x.rows}x${d.x.dim}\n`);
  h.update(new Uint8Array(d.x.data.buffer, d.x.data.byteOffset, d.x.data.byteLength));
  h.update(new Uint8Array(d.y.buffer, d.y.byteOffset, d.y.byteLength));
  return h.digest('hex');
}
