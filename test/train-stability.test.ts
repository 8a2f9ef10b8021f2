// Stable defaults on a small real task: a spec that names only the data and the base model must
// give about the same head whatever the seed. Features come from the example's MobileNetV2
// (cut block_13_expand_relu, 64 px, wasm) on 600 train / 200 validation / 400 test images of
// the example's Fashion-MNIST subset, and a default head is trained with the 8 seeds that
// gate.repeats would use.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { readIdxExamples } from '../src/data/idx.js';
import { computeFeatures, type FeatureStage } from '../src/pipeline/features.js';
import { SpecSchema } from '../src/spec/schema.js';
import { evaluateHead } from '../src/train/evaluate.js';
import { disposeHead } from '../src/train/head.js';
import { trainHead } from '../src/train/loop.js';
import { silentLogger } from '../src/util/log.js';
import { deriveSeed } from '../src/util/random.js';

const DATA = 'examples/fashion-mnist/data';
const SEEDS = Array.from({ length: 8 }, (_, r) => (r === 0 ? 42 : deriveSeed(42, 'repeat', r)));

const spec = SpecSchema.parse({
  version: 1,
  name: 'stability',
  task: 'image-classification',
  model: { base: 'examples/fashion-mnist/models/mobilenet_v2/model.json', cut: 'block_13_expand_relu', input: { size: [64, 64] } },
  data: { format: 'idx', train: { images: 'train.gz', labels: 'labels.gz' } },
});

let feats: FeatureStage;

beforeAll(async () => {
  await selectBackend('wasm', silentLogger);
  const train = readIdxExamples(`${DATA}/train-images-idx3-ubyte.gz`, `${DATA}/train-labels-idx1-ubyte.gz`, 'train', 'data.train');
  const test = readIdxExamples(`${DATA}/t10k-images-idx3-ubyte.gz`, `${DATA}/t10k-labels-idx1-ubyte.gz`, 'test', 'data.test');
  const data = { classes: [], train: train.slice(0, 600), validation: train.slice(600, 800), test: test.slice(0, 400), skipped: [] };
  feats = await computeFeatures(spec, process.cwd(), data, { backend: 'wasm' }, silentLogger);
});

describe('default training is stable across seeds', () => {
  it('keeps test accuracy within 2.5 points over 8 seeds, with a mean of at least 0.79', async () => {
    const labels = Array.from({ length: 10 }, (_, i) => String(i));
    const accuracy: number[] = [];
    for (const seed of SEEDS) {
      const r = await trainHead(feats.train, feats.validation, {
        train: spec.train,
        head: spec.model.head,
        labels,
        seed,
        log: silentLogger,
      });
      accuracy.push((await evaluateHead(r.head, feats.test.x, feats.test.y, labels)).metrics.accuracy);
      disposeHead(r.head);
    }
    const spread = Math.max(...accuracy) - Math.min(...accuracy);
    const mean = accuracy.reduce((a, b) => a + b, 0) / accuracy.length;
    // Measured here: spread 0.015, mean 0.800. With a random output layer and a constant rate
    // (this project's earlier defaults) the same seeds spread 0.0475 around a mean of 0.785, and
    // a fixed 15 epochs without early stopping 0.0225. 0.025 is 10 of the 400 test images: it
    // fails when either regresses and leaves room for rounding on another backend.
    expect(spread).toBeLessThanOrEqual(0.025);
    expect(mean).toBeGreaterThanOrEqual(0.79);
  });
});
