// Two-phase fine-tuning on a small real subset: the head on the frozen base, then the top base
// layers unfrozen at a lower rate. The full schedule is deterministic, the exported bundle holds the
// fine-tuned base (re-scoring it reproduces the run's own test predictions), and a run cancelled in
// phase two resumes to the uninterrupted result.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline, type RunOptions } from '../src/pipeline/run.js';
import { runCli } from '../src/cli/main.js';
import { rescoreBaselineModel } from '../src/pipeline/baseline-model.js';
import { loadSpec } from '../src/spec/load.js';
import { loadDataset } from '../src/data/load.js';
import { testSetFingerprint } from '../src/data/fingerprint.js';
import { readModelSource } from '../src/model/source.js';
import { tf } from '../src/backend/tf.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import { defaultSpec, makeTinyRepo } from './helpers/tiny-repo.js';

const TWO_PHASE = defaultSpec()
  .replace('cut: block_13_expand_relu', "cut: block_13_expand_relu\n  trainable: ['block_12_*', 'block_13_*']")
  .replace(
    'early_stopping: { patience: 3 }',
    'early_stopping: false\n  learning_rate: 0.003\n  finetune: { epochs: 3, learning_rate: 0.001 }',
  );

function options(repo: string, out: string, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    specPath: path.join(repo, 'finetune.yml'),
    outDir: path.join(repo, out),
    backend: 'wasm',
    cacheDir: path.join(repo, '.cache'),
    log: silentLogger,
    ...extra,
  };
}

describe('two-phase fine-tuning (model.trainable + train.finetune)', () => {
  it('trains phase two after phase one, deterministically, and ships the fine-tuned base', async () => {
    const repo = makeTinyRepo({ train: 300, test: 100, spec: TWO_PHASE });
    const a = await runPipeline(options(repo, 'out-a'));
    const r = a.report;
    expect(r.status).toBe('complete');
    expect(r.finetune?.trainable_layers).toContain('block_12_expand');
    expect(r.finetune?.trainable_layers).toContain('block_13_expand_BN');
    expect(r.finetune?.split).toBe('block_11_add');
    expect(r.finetune?.epochs).toBe(3);
    expect(r.finetune?.learning_rate).toBe(0.001);
    // Six phase-one epochs (early stopping off), then three of phase two numbered on.
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.history.filter((h) => h.phase === 2).map((h) => h.epoch)).toEqual([7, 8, 9]);
    expect(r.model.trainable_params).toBeGreaterThan(100_000);
    expect(r.model.frozen_params + r.model.trainable_params).toBeGreaterThan(r.model.trainable_params);
    // early_stopping false: the last epoch of phase two is kept.
    expect(r.finetune?.kept).toBe('phase_two');
    expect(r.best_epoch).toBe(9);
    const md = fs.readFileSync(path.join(repo, 'out-a/report.md'), 'utf8');
    expect(md).toMatch(
      /Phase two \(epochs 7-9\): \d+ base layers unfrozen \(block_12_expand \.\. block_13_expand_BN\) above the frozen part up to `block_11_add`, learning rate 0\.001, batch 32; kept/,
    );

    const b = await runPipeline(options(repo, 'out-b'));
    expect(b.report.metrics).toEqual(r.metrics);
    expect(b.report.history).toEqual(r.history);
    expect(b.report.predictions).toEqual(r.predictions);
    const weights = (out: string) => fs.readFileSync(path.join(repo, out, 'model/weights.bin'));
    expect(weights('out-b').equals(weights('out-a'))).toBe(true);

    // The bundle holds the trained block-12 kernel, not the pre-trained one.
    const shipped = await readModelSource('bundle', path.join(repo, 'out-a/model/model.json'));
    const original = await readModelSource('base', path.join(repo, 'models/base/model.json'));
    // The base ships uint8-quantised weights: decode them the way the loader does.
    const kernel = (src: typeof shipped) => {
      const named = tf.io.decodeWeights(src.weightData, src.weightSpecs as tf.io.WeightsManifestEntry[]);
      const key = Object.keys(named).find((k) => k.startsWith('block_12_expand/kernel'));
      if (!key) throw new Error('block_12_expand/kernel not found');
      return named[key].dataSync() as Float32Array;
    };
    const trained = kernel(shipped);
    const pre = kernel(original);
    expect(trained.length).toBe(pre.length);
    expect(trained.some((v, i) => v !== pre[i])).toBe(true);

    // Re-scoring the bundle on the test images reproduces the run's own predictions.
    const { spec } = loadSpec(path.join(repo, 'finetune.yml'), { root: repo });
    const data = loadDataset(spec, repo, silentLogger);
    const rescored = await rescoreBaselineModel({
      bundleDir: path.join(repo, 'out-a/model'),
      shownAs: 'out-a/model',
      classes: data.classes,
      test: data.test,
      testSetSha256: testSetFingerprint(data.test, data.classes).sha256,
    });
    const agree = (rescored.model?.predictions?.y_pred ?? []).filter((p, i) => p === r.predictions.y_pred[i]).length;
    expect(agree / r.predictions.y_pred.length).toBeGreaterThanOrEqual(0.99);
  });

  it('a run cancelled in phase two resumes to the uninterrupted result', async () => {
    const repo = makeTinyRepo({ train: 240, test: 80, spec: TWO_PHASE.replace('epochs: 6', 'epochs: 3') });
    const a = await runPipeline(options(repo, 'out-a'));
    expect(a.report.history).toHaveLength(6);
    const cancel = new AbortController();
    // Epoch 5 is the second epoch of phase two.
    const cancelling: Logger = { ...silentLogger, progress: (m) => m.startsWith('epoch 5/') && cancel.abort() };
    const cut = await runPipeline(options(repo, 'out-b', { signal: cancel.signal, log: cancelling }));
    expect(cut.report.status).toBe('interrupted');
    expect(cut.report.history).toHaveLength(5);
    const b = await runPipeline(options(repo, 'out-b', { resume: true }));
    expect(b.report.status).toBe('complete');
    expect(b.report.history).toEqual(a.report.history);
    expect(b.report.metrics).toEqual(a.report.metrics);
    expect(b.report.predictions).toEqual(a.report.predictions);
  });

  it('trains phase two on augmented views of the split activations', async () => {
    const spec = defaultSpec()
      .replace('cut: block_13_expand_relu', 'cut: block_13_expand_relu\n  trainable: 2')
      .replace('epochs: 6', 'epochs: 2')
      .replace('early_stopping: { patience: 3 }', 'early_stopping: false\n  augment: { flip: true, views: 2 }\n  finetune: { epochs: 2 }');
    const repo = makeTinyRepo({ train: 160, test: 60, spec });
    const logs: string[] = [];
    const a = await runPipeline(options(repo, 'out-a', { log: { ...silentLogger, info: (m) => logs.push(m) } }));
    expect(a.report.status).toBe('complete');
    expect(a.report.finetune?.split).toBe('block_12_add');
    expect(a.report.history.filter((h) => h.phase === 2)).toHaveLength(2);
    expect(logs.join('\n')).toMatch(/augment/i);
    const b = await runPipeline(options(repo, 'out-b'));
    expect(b.report.history).toEqual(a.report.history);
    expect(b.report.predictions).toEqual(a.report.predictions);
  });

  it('with a sweep, shards tune phase one and the merge trains both phases of the best trial', async () => {
    const spec = defaultSpec('sweep:\n  learning_rate: [0.003, 0.03]\n')
      .replace('cut: block_13_expand_relu', 'cut: block_13_expand_relu\n  trainable: 2')
      .replace('epochs: 6', 'epochs: 3')
      .replace('early_stopping: { patience: 3 }', 'early_stopping: false\n  finetune: { epochs: 1 }');
    const repo = makeTinyRepo({ train: 160, test: 60, spec });
    const cacheDir = path.join(repo, '.cache');
    const shards = [1, 2].map((i) => path.join(repo, `shard-${i}`));
    for (const [i, out] of shards.entries()) {
      const code = await runCli(
        ['sweep', '--spec', path.join(repo, 'finetune.yml'), '--shard', `${i + 1}/2`, '--out', out, '--backend', 'wasm', '--no-cache'],
        silentLogger,
      );
      expect(code).toBe(0);
    }
    const merged = await runPipeline(options(repo, 'out-merged', { trials: shards, cacheDir }));
    const inOne = await runPipeline(options(repo, 'out-one', { cacheDir }));
    expect(merged.report.sweep?.trials).toHaveLength(2);
    expect(merged.report.sweep?.best).toBe(inOne.report.sweep?.best);
    expect(merged.report.finetune?.trainable_layers).toEqual(['block_13_expand', 'block_13_expand_BN']);
    expect(merged.report.history.filter((h) => h.phase === 2)).toHaveLength(1);
    expect(merged.report.metrics).toEqual(inOne.report.metrics);
    expect(merged.report.predictions).toEqual(inOne.report.predictions);
  });
});
