// Training on augmented views: epoch e takes view (e - 1) mod views with the original labels, and a
// whole run with train.augment is as reproducible as one without (cold or warm cache).
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import type { FeatureMatrix } from '../src/features/extract.js';
import { runPipeline } from '../src/pipeline/run.js';
import { disposeHead } from '../src/train/head.js';
import { trainHead, type TrainOptions } from '../src/train/loop.js';
import { SpecSchema, type Spec } from '../src/spec/schema.js';
import { createRng } from '../src/util/random.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import { clusters } from './train-data.js';
import { defaultSpec, makeTinyRepo } from './helpers/tiny-repo.js';

const TRAIN: Spec['train'] = SpecSchema.shape.train.parse({ epochs: 4, batch_size: 16, learning_rate: 0.01, early_stopping: false });
const data = clusters({ perClass: [40, 40, 40], valPerClass: 10, dim: 6, separation: 2, seed: 3 });

function opts(views?: FeatureMatrix[]): TrainOptions {
  return { train: TRAIN, head: { hidden: [8], dropout: 0 }, labels: data.labels, seed: 11, log: silentLogger, views };
}

/** train's rows plus seeded noise: a stand-in for an augmented view. */
function noisy(seed: number): FeatureMatrix {
  const rng = createRng(seed);
  const x = data.train.x;
  return { ...x, data: x.data.map((v) => v + (rng() - 0.5)) };
}

async function history(views?: FeatureMatrix[]) {
  const r = await trainHead(data.train, data.val, opts(views));
  disposeHead(r.head);
  return r.history;
}

describe('trainHead with views', () => {
  beforeAll(async () => {
    await selectBackend('cpu', silentLogger);
  });

  it('changes nothing but the rows an epoch trains on', async () => {
    expect(await history([data.train.x])).toEqual(await history());
  });

  it('trains epoch e on view (e - 1) mod views', async () => {
    const [a, b] = [noisy(1), noisy(2)];
    const plain = await history();
    const aa = await history([a, a]);
    const ab = await history([a, b]);
    expect(aa[0]).not.toEqual(plain[0]);
    expect(ab[0]).toEqual(aa[0]);
    expect(ab[1]).not.toEqual(aa[1]);
    // Views cycle: [a, b, a, b] is the same run as [a, b].
    expect(await history([a, b, a, b])).toEqual(ab);
  });

  it('refuses a view whose rows do not line up with train', async () => {
    const short: FeatureMatrix = { rows: 10, dim: 6, data: new Float32Array(60) };
    await expect(trainHead(data.train, data.val, opts([short]))).rejects.toThrow(/augmented view: 10x6 features, expected 120x6/);
  });
});

describe('a run with train.augment', () => {
  it('is deterministic across a cold and a warm cache, and trains on other data than a run without it', async () => {
    const augment = '  augment: { flip: true, crop: 0.1, brightness: 0.2, views: 2 }\n';
    const repo = makeTinyRepo({ train: 200, test: 60, spec: defaultSpec(augment).replace('epochs: 6', 'epochs: 3') });
    fs.writeFileSync(path.join(repo, 'plain.yml'), defaultSpec().replace('epochs: 6', 'epochs: 3'));
    const cacheDir = path.join(repo, 'cache');
    const run = async (spec: string, out: string, log: Logger = silentLogger, noCache = false) =>
      (await runPipeline({ specPath: path.join(repo, spec), outDir: path.join(repo, out), backend: 'wasm', cacheDir, noCache, log }))
        .report;

    const lines: string[] = [];
    const recording: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), progress: () => {} };
    const cold = await run('finetune.yml', 'out-a', recording);
    expect(lines.filter((l) => l.startsWith('augmentation on (flip, crop 0.1, brightness 0.2): 2 seeded views'))).toHaveLength(1);
    lines.length = 0;
    const warm = await run('finetune.yml', 'out-b', recording);
    expect(lines.join('\n')).toMatch(/\(0 of \d+ view rows to compute now\)/);
    expect(warm.history).toEqual(cold.history);
    expect(warm.metrics).toEqual(cold.metrics);
    const weights = (d: string) => fs.readFileSync(path.join(repo, d, 'model/weights.bin'));
    expect(weights('out-b').equals(weights('out-a'))).toBe(true);

    const plain = await run('plain.yml', 'out-c', silentLogger, true);
    expect(plain.history.map((h) => h.loss)).not.toEqual(cold.history.map((h) => h.loss));
    expect(plain.fingerprint.test_set_sha256).toBe(cold.fingerprint.test_set_sha256);
  });
});
