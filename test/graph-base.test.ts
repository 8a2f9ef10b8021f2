// A TF.js GraphModel as the frozen base of image-classification: model.cut names a node, validate
// lists the nodes with their shapes, the graph is frozen (model.trainable refused), the base-model
// safety checks apply, and the bundle (graph + head) predicts the report's test predictions. The
// graph is a small one the tests write (test/helpers/tiny-graph.ts); the images are a real subset
// of the Fashion-MNIST example.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { loadSpec } from '../src/spec/load.js';
import { loadDataset } from '../src/data/load.js';
import { readModelSource } from '../src/model/source.js';
import { buildGraphBackbone, forwardGraph } from '../src/model/graph-base.js';
import { loadGraphBundle } from '../src/model/graph-bundle.js';
import { imagesToTensor } from '../src/features/preprocess.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import type { Report } from '../src/domain/types.js';
import { makeTinyRepo, readJson } from './helpers/tiny-repo.js';
import { startModelServer } from './helpers/model-server.js';
import { TINY_GRAPH_PARAMS, writeImageGraph } from './helpers/tiny-graph.js';

const spec = (model: string, size = 16) => `version: 1
name: tiny-graph
task: image-classification
seed: 7
model:
  base: models/graph/model.json
${model}
  head: { hidden: [16] }
  input: { size: [${size}, ${size}] }
data:
  format: idx
  train: { images: data/train-images.gz, labels: data/train-labels.gz }
  test: { images: data/test-images.gz, labels: data/test-labels.gz }
  split: { validation: 0.15 }
train:
  epochs: 8
  batch_size: 32
  learning_rate: 0.01
  early_stopping: { patience: 3 }
`;

let dir: string;
const cacheBefore = process.env.FINETUNE_CACHE_DIR;
beforeAll(async () => {
  await selectBackend('cpu', silentLogger, process.cwd());
  dir = makeTinyRepo({ train: 300, test: 80, spec: spec('  cut: conv2/relu') });
  fs.rmSync(path.join(dir, 'models/base'), { recursive: true });
  writeImageGraph(path.join(dir, 'models/graph'));
  process.env.FINETUNE_CACHE_DIR = path.join(dir, 'cache');
});
afterAll(() => {
  if (cacheBefore === undefined) delete process.env.FINETUNE_CACHE_DIR;
  else process.env.FINETUNE_CACHE_DIR = cacheBefore;
  fs.rmSync(dir, { recursive: true, force: true });
});

function recording(): Logger & { infos: string[]; errors: string[] } {
  const infos: string[] = [];
  const errors: string[] = [];
  return {
    ...silentLogger,
    infos,
    errors,
    info: (m: string) => void infos.push(m),
    error: (m: string) => void errors.push(m),
    warn: (m: string) => void errors.push(m),
  };
}

/** Writes finetune.yml with these model lines (under `model:`) and runs validate. */
async function validate(model: string, size?: number): Promise<{ code: number; infos: string[]; errors: string[] }> {
  fs.writeFileSync(path.join(dir, 'alt.yml'), spec(model, size));
  const log = recording();
  const code = await runCli(['validate', '--spec', path.join(dir, 'alt.yml')], log);
  return { code, infos: log.infos, errors: log.errors };
}

describe('a GraphModel image base', () => {
  it('validate lists the graph nodes a cut can name, with their output shapes at the spec size', async () => {
    const { code, infos } = await validate('  cut: conv2/relu:0');
    expect(code).toBe(0);
    expect(infos).toContain(
      'base model: models/graph/model.json (sha256 ' +
        (await readModelSource('m', path.join(dir, 'models/graph/model.json'), { graph: true })).sha256.slice(0, 12) +
        '), cut at "conv2/relu" -> 4x4x16',
    );
    const list = infos.find((m) => m.startsWith('cut candidates, graph nodes')) as string;
    expect(list.split('\n').slice(1)).toEqual([
      '    conv1          8x8x8',
      '    conv1/biasadd  8x8x8',
      '    conv1/relu     8x8x8',
      '    conv2          4x4x16',
      '    conv2/biasadd  4x4x16',
      '  * conv2/relu     4x4x16',
      '    pool           16',
      '    logits         10',
    ]);
    expect(infos).toContain(
      `parameters: ${TINY_GRAPH_PARAMS} frozen (GraphModel base), ${16 * 16 + 16 + 16 * 10 + 10} trainable (head 16 -> 16 -> 10)`,
    );
  });

  it("without model.cut the features are the graph's own output", async () => {
    const { code, infos } = await validate('');
    expect(code).toBe(0);
    expect(infos.some((m) => m.endsWith('cut at "logits" -> 10'))).toBe(true);
  });

  it('a spatial node is averaged over height and width: the features are its pooled output', async () => {
    const { spec: s } = loadSpec(path.join(dir, 'finetune.yml'), { root: dir });
    const data = loadDataset(s, dir, silentLogger);
    const images = data.test.slice(0, 3).map((e) => (e.image as NonNullable<typeof e.image>)());
    const pre = { size: [16, 16] as [number, number], channels: 3 as const, scale: s.model.input.scale, resize: s.model.input.resize };
    const source = await readModelSource('m', path.join(dir, 'models/graph/model.json'), { graph: true });
    const base = await buildGraphBackbone(source, { cut: 'conv2/relu', size: [16, 16], channels: 3 });
    let w: tf.NamedTensorMap = {};
    try {
      const rows = await forwardGraph(base, images, pre);
      // The same two convolutions by hand from the shard's weights.
      w = tf.io.decodeWeights(source.weightData, source.weightSpecs as tf.io.WeightsManifestEntry[]);
      const expected = tf.tidy(() => {
        const conv = (x: tf.Tensor4D, n: string) =>
          tf.relu(tf.conv2d(x, w[`${n}/filter`] as tf.Tensor4D, 2, 'same').add(w[`${n}/bias`])) as tf.Tensor4D;
        return conv(conv(imagesToTensor(images, pre), 'conv1'), 'conv2')
          .mean([1, 2])
          .dataSync();
      });
      expect(rows.length).toBe(3 * 16);
      rows.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      expect(new Set(Array.from(rows)).size).toBeGreaterThan(16);
    } finally {
      base.graph.dispose();
      tf.dispose(Object.values(w));
    }
  });

  it("trains a head on the graph, deterministically, and the bundle predicts the report's test predictions", async () => {
    const out = path.join(dir, 'out');
    const run = (log: Logger) => runCli(['run', '--spec', path.join(dir, 'finetune.yml'), '--backend', 'cpu', '--out', out], log);
    const first = recording();
    expect(await run(first)).toBe(0);
    const report = readJson<Report>(path.join(out, 'report.json'));
    expect(report.model).toMatchObject({
      base: 'models/graph/model.json',
      cut: 'conv2/relu',
      feature_dim: 16,
      frozen_params: TINY_GRAPH_PARAMS,
    });
    // Ten classes: chance is 0.1; random convolution features still separate Fashion-MNIST well above it.
    expect(report.metrics.accuracy).toBeGreaterThan(0.3);
    const source = await readModelSource('m', path.join(dir, 'models/graph/model.json'), { graph: true });
    expect(report.fingerprint.base_model_sha256).toBe(source.sha256);
    const weights = fs.readFileSync(path.join(out, 'model/weights.bin'));

    // Again: every feature row from the cache, the same bits.
    const second = recording();
    expect(await run(second)).toBe(0);
    expect(second.infos).toContain('features: 380 of 380 from the cache');
    const again = readJson<Report>(path.join(out, 'report.json'));
    expect(again.metrics).toEqual(report.metrics);
    expect(again.predictions).toEqual(report.predictions);
    expect(fs.readFileSync(path.join(out, 'model/weights.bin')).equals(weights)).toBe(true);

    const bundle = path.join(out, 'model');
    expect(fs.readFileSync(path.join(bundle, 'sha256sums.txt'), 'utf8')).toMatch(
      / {2}base\/model\.json\n[0-9a-f]{64} {2}base\/weights\.bin\n/,
    );
    expect(readJson(path.join(bundle, 'preprocess.json'))).toMatchObject({
      size: [16, 16],
      base: {
        format: 'graph-model',
        model: 'base/model.json',
        cut: 'conv2/relu',
        sha256: source.sha256,
        pooling: 'global average',
        features: 16,
      },
    });
    expect(await runCli(['verify', bundle], silentLogger)).toBe(0);
    const { spec: s } = loadSpec(path.join(dir, 'finetune.yml'), { root: dir });
    const test = loadDataset(s, dir, silentLogger).test;
    const predictor = await loadGraphBundle(bundle);
    try {
      const { predicted } = await predictor.predict(test.map((e) => (e.image as NonNullable<typeof e.image>)()));
      expect(predicted).toEqual(report.predictions.y_pred);
    } finally {
      predictor.dispose();
    }

    // A changed graph in the bundle is caught by verify and refused by the loader.
    const tampered = path.join(dir, 'tampered');
    fs.cpSync(bundle, tampered, { recursive: true });
    const shard = fs.readFileSync(path.join(tampered, 'base/weights.bin'));
    shard[0] ^= 1;
    fs.writeFileSync(path.join(tampered, 'base/weights.bin'), shard);
    expect(await runCli(['verify', tampered], silentLogger)).toBe(1);
    await expect(loadGraphBundle(tampered)).rejects.toThrow('bundle does not verify: sha256 mismatch: base/weights.bin');
  });

  it('the bundle serves as a gate baseline model, re-scored on the test set', async () => {
    const out = path.join(dir, 'out');
    const log = recording();
    fs.writeFileSync(path.join(dir, 'gated.yml'), `${spec('  cut: conv2/relu')}gate:\n  baseline: { from: model, path: out/model }\n`);
    const code = await runCli(['run', '--spec', path.join(dir, 'gated.yml'), '--backend', 'cpu', '--out', path.join(dir, 'out2')], log);
    expect(log.errors.filter((m) => m.startsWith('error'))).toEqual([]);
    expect([0, 1]).toContain(code);
    const first = readJson<Report>(path.join(out, 'report.json'));
    const report = readJson<Report>(path.join(dir, 'out2/report.json'));
    // The same spec and seed: the baseline bundle re-scored gives the first run's metrics.
    expect(report.baseline).toMatchObject({ source: 'model', path: 'out/model' });
    expect(report.baseline?.metrics?.accuracy).toBe(first.metrics.accuracy);
    expect(report.baseline?.metrics?.f1_macro).toBe(first.metrics.f1_macro);
  });
});

describe('a GraphModel base by URL', () => {
  it('is read with the same checks as a LayersModel: weights from its URL folder only', async () => {
    const served = path.join(dir, 'served');
    writeImageGraph(path.join(served, 'ok'));
    writeImageGraph(path.join(served, 'bad'), { weightPath: '../ok/group1-shard1of1.bin' });
    const server = await startModelServer(served);
    try {
      const local = await readModelSource('m', path.join(served, 'ok/model.json'), { graph: true });
      const remote = await readModelSource(`${server.url}/ok/model.json`, undefined, { graph: 'allow' });
      expect(remote.format).toBe('graph-model');
      expect(remote.sha256).toBe(local.sha256);
      const base = await buildGraphBackbone(remote, { size: [16, 16], channels: 3 });
      expect([base.cut, base.featureDim, base.params]).toEqual(['logits', 10, TINY_GRAPH_PARAMS]);
      base.graph.dispose();
      await expect(readModelSource(`${server.url}/bad/model.json`, undefined, { graph: 'allow' })).rejects.toThrow(
        `model.base (${server.url}/bad/model.json): weightsManifest[0].paths[0]: "../ok/group1-shard1of1.bin" leaves the model's folder`,
      );
      // Refused from the manifest alone: the shard outside was never requested for it.
      expect(server.requests.filter((r) => r.startsWith('/bad'))).toEqual(['/bad/model.json']);
      expect(server.requests.filter((r) => r === '/ok/group1-shard1of1.bin')).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('what a GraphModel base refuses', () => {
  it('model.trainable above 0: the graph is frozen, phase two needs a LayersModel (exit 2)', async () => {
    const { code, errors } = await validate('  cut: conv2/relu\n  trainable: 1');
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain(
      'model.trainable: phase two unfreezing needs a LayersModel base; model.base (models/graph/model.json) is a TF.js GraphModel, which is frozen (inference only)',
    );
  });

  it("an input size other than the graph's fixed one (exit 2)", async () => {
    const { code, errors } = await validate('  cut: conv2/relu', 24);
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain("model.input.size: the graph's input has a fixed height of 16, the spec asks for 24");
  });

  it('a cut that names no node of the graph (exit 2)', async () => {
    const { code, errors } = await validate('  cut: conv3/relu');
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain(
      'model.cut: no node "conv3/relu" in the graph that computes from the image (nodes, last first: logits, pool, conv2/relu,',
    );
  });

  it("a weight path leading out of the model's folder, or shards that disagree with the manifest (exit 2)", async () => {
    const graphDir = path.join(dir, 'models/graph');
    const saved = fs.readFileSync(path.join(graphDir, 'model.json'));
    try {
      writeImageGraph(graphDir, { weightPath: '../outside.bin' });
      fs.writeFileSync(path.join(dir, 'models/outside.bin'), Buffer.alloc(4 * TINY_GRAPH_PARAMS + 8));
      let r = await validate('  cut: conv2/relu');
      expect(r.code).toBe(2);
      expect(r.errors.join('\n')).toMatch(/model\.base \(models\/graph\/model\.json\).*"\.\.\/outside\.bin"/);
      writeImageGraph(graphDir);
      fs.appendFileSync(path.join(graphDir, 'group1-shard1of1.bin'), Buffer.alloc(4));
      r = await validate('  cut: conv2/relu');
      expect(r.code).toBe(2);
      expect(r.errors.join('\n')).toContain(
        `hold more than ${4 * TINY_GRAPH_PARAMS + 8} bytes, the manifest's shapes and dtypes declare ${4 * TINY_GRAPH_PARAMS + 8} bytes`,
      );
    } finally {
      writeImageGraph(graphDir);
      expect(fs.readFileSync(path.join(graphDir, 'model.json')).equals(saved)).toBe(true);
    }
  });
});
