// Builds a throwaway repository holding a small real subset of the Fashion-MNIST example and the
// real pre-trained base model, so end-to-end tests run the real pipeline in seconds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export const EXAMPLE_DIR = path.resolve('examples/fashion-mnist');

export interface TinyRepoOptions {
  train?: number;
  test?: number;
  /** YAML appended to / replacing parts of the default spec. */
  spec?: string;
}

/** First `n` items of a gzipped IDX file, as a gzipped IDX file. */
function idxSubset(file: string, n: number): Buffer {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const rank = buf[3];
  const header = Buffer.from(buf.subarray(0, 4 + rank * 4));
  const item = Array.from({ length: rank - 1 }, (_, i) => header.readUInt32BE(8 + i * 4)).reduce((a, b) => a * b, 1);
  header.writeUInt32BE(n, 4);
  return zlib.gzipSync(Buffer.concat([header, buf.subarray(4 + rank * 4, 4 + rank * 4 + n * item)]));
}

export function defaultSpec(extra = ''): string {
  return `version: 1
name: tiny-fashion
task: image-classification
seed: 7
model:
  base: models/base/model.json
  cut: block_13_expand_relu
  head: { hidden: [32] }
  input: { size: [48, 48] }
data:
  format: idx
  train: { images: data/train-images.gz, labels: data/train-labels.gz }
  test: { images: data/test-images.gz, labels: data/test-labels.gz }
  split: { validation: 0.15, seed: 7 }
train:
  epochs: 6
  batch_size: 32
  early_stopping: { patience: 3 }
${extra}`;
}

export function makeTinyRepo(opts: TinyRepoOptions = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-repo-'));
  fs.mkdirSync(path.join(dir, '.git'));
  fs.mkdirSync(path.join(dir, 'data'));
  const src = path.join(EXAMPLE_DIR, 'data');
  const train = opts.train ?? 400;
  const test = opts.test ?? 150;
  fs.writeFileSync(path.join(dir, 'data/train-images.gz'), idxSubset(path.join(src, 'train-images-idx3-ubyte.gz'), train));
  fs.writeFileSync(path.join(dir, 'data/train-labels.gz'), idxSubset(path.join(src, 'train-labels-idx1-ubyte.gz'), train));
  fs.writeFileSync(path.join(dir, 'data/test-images.gz'), idxSubset(path.join(src, 't10k-images-idx3-ubyte.gz'), test));
  fs.writeFileSync(path.join(dir, 'data/test-labels.gz'), idxSubset(path.join(src, 't10k-labels-idx1-ubyte.gz'), test));
  fs.cpSync(path.join(EXAMPLE_DIR, 'models/mobilenet_v2'), path.join(dir, 'models/base'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'finetune.yml'), opts.spec ?? defaultSpec());
  return dir;
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
