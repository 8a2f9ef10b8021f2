// A throwaway repository with a small deterministic csv data set (3 overlapping classes, 4
// numeric columns) and a tabular spec: the real pipeline trains it in well under a second, which
// suits tests about what happens around training (gate sources, failures, the Action's steps).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tabularCsv(rows = 240, seed = 1): string {
  const lines = ['a,b,c,d,label'];
  let s = seed;
  const rnd = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    lines.push([0, 1, 2, 3].map((j) => (k * 0.5 + j * 0.1 + rnd() * 2).toFixed(3)).join(',') + `,c${k}`);
  }
  return lines.join('\n') + '\n';
}

/** `train` replaces the train section; `gate` the gate section. */
export function tabularSpec(o: { name?: string; seed?: number; train?: string; gate?: string } = {}): string {
  return `version: 1
name: ${o.name ?? 'tab'}
task: tabular-classification
seed: ${o.seed ?? 3}
model:
  head: { hidden: [32], dropout: 0 }
data:
  format: csv
  train: data.csv
  label: label
  features: [a, b, c, d]
  split: { validation: 0.2, test: 0.25 }
train:
${o.train ?? '  epochs: 8\n  batch_size: 16\n  learning_rate: 0.01'}
gate:
${o.gate ?? '  metrics:\n    accuracy: { min: 0.2 }'}
`;
}

/** Spec that diverges: plain SGD at the highest rate the schema allows; the loss becomes NaN at epoch 8. */
export const DIVERGING_TRAIN =
  '  epochs: 30\n  batch_size: 16\n  optimizer: sgd\n  learning_rate: 10\n  schedule: { type: constant }\n  early_stopping: false';

export function makeTabularRepo(spec = tabularSpec()): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-tab-'));
  fs.mkdirSync(path.join(dir, '.git'));
  fs.writeFileSync(path.join(dir, 'data.csv'), tabularCsv());
  fs.writeFileSync(path.join(dir, 'finetune.yml'), spec);
  return dir;
}
