// The whole flow, top to bottom: spec -> data -> features -> head -> test metrics -> gate ->
// report and bundle. The CLI and the Action both call runPipeline; only they touch the world.
import path from 'node:path';
import { loadSpec, findRepoRoot } from '../spec/load.js';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { loadDataset } from '../data/load.js';
import { testSetFingerprint } from '../data/fingerprint.js';
import { computeFeatures } from './features.js';
import { trainRepeats } from './repeats.js';
import { readBaselineFile, type LoadedBaseline } from './baseline.js';
import { evaluateGate } from '../gate/evaluate.js';
import { buildFullModel, serialiseModel } from '../model/export.js';
import { writeBundle, writeReports, type WrittenOutputs } from './outputs.js';
import { defaultCacheDir } from '../features/cache.js';
import type { Report } from '../report/types.js';
import type { Logger } from '../util/log.js';
import { exitCodeFor } from '../gate/evaluate.js';

export interface RunOptions {
  specPath: string;
  /** Overrides output.dir; relative to the current directory, may point anywhere. */
  outDir?: string;
  backend: BackendChoice;
  /** A baseline report.json given on the command line or as the Action's input (relative to cwd). */
  baselinePath?: string;
  noCache?: boolean;
  cacheDir?: string;
  log: Logger;
}

export interface RunResult extends WrittenOutputs {
  report: Report;
  exitCode: 0 | 1;
  retentionDays: number;
}

export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const { log } = opts;
  const root = findRepoRoot(path.dirname(path.resolve(opts.specPath)));
  const loaded = loadSpec(opts.specPath, { root });
  const { spec } = loaded;
  const backend = await selectBackend(opts.backend, log, root);
  const data = loadDataset(spec, root, log);
  log.info(`data: ${data.train.length} train, ${data.validation.length} validation, ${data.test.length} test examples, ${data.classes.length} classes`);
  const cacheDir = opts.noCache ? undefined : (opts.cacheDir ?? defaultCacheDir());
  const feats = await computeFeatures(spec, root, data, { cacheDir, backend: backend.name }, log);
  const trained = await trainRepeats(spec, feats, data.classes, log);
  const baseline = readBaseline(spec, root, opts.baselinePath);
  const testPrint = testSetFingerprint(data.test, data.classes);
  const gate = evaluateGate(
    { metrics: spec.gate.metrics, confidence: spec.gate.confidence, on_inconclusive: spec.gate.on_inconclusive, seed: spec.seed },
    { metrics: trained.metrics, labels: data.classes, predictions: trained.predictions, test_set_sha256: testPrint.sha256, repeat_metrics: trained.repeatMetrics },
    baseline?.model,
  );
  const outDir = path.resolve(opts.outDir ?? path.join(root, spec.output.dir));
  const report: Report = {
    schema_version: 1,
    name: spec.name,
    verdict: gate.verdict,
    status: trained.best.stopped === 'budget_reached' ? 'budget_reached' : 'complete',
    metrics: trained.metrics,
    per_class: trained.evaluation.perClass,
    confusion_matrix: trained.evaluation.confusion,
    baseline: baseline?.report ?? { source: 'none' },
    gate,
    history: trained.best.history,
    best_epoch: trained.best.bestEpoch,
    fingerprint: {
      spec_sha256: loaded.sha256,
      test_set_sha256: testPrint.sha256,
      test_label_histogram: testPrint.histogram,
      base_model_sha256: feats.source?.sha256 ?? 'none',
      backend: backend.name,
      seed: spec.seed,
      versions: { 'finetune-action': VERSION, ...backend.versions },
    },
    timing: { total_s: 0, features_s: feats.seconds, train_s: trained.trainSeconds, eval_s: trained.evalSeconds },
    data: { train: data.train.length, validation: data.validation.length, test: data.test.length, classes: data.classes, skipped_files: data.skipped },
    model: {
      base: spec.model.base ?? 'none',
      cut: feats.backbone?.cut ?? 'none',
      feature_dim: feats.train.x.dim,
      trainable_params: trained.headParams,
      frozen_params: feats.backbone?.params ?? 0,
    },
    predictions: trained.predictions,
    ...(trained.repeatMetrics.length > 1 ? { repeats: trained.repeatMetrics } : {}),
    created_at: new Date().toISOString(),
  };
  const full = buildFullModel(trained.best.head, feats.backbone);
  const saved = await serialiseModel(full);
  report.timing.total_s = (Date.now() - started) / 1000;
  // Reports first: a failure while writing the bundle must not lose the verdict.
  const written = writeReports(outDir, report);
  const preprocess = feats.preprocess ? { ...feats.preprocess, input_order: 'NHWC', grayscale_to_rgb: 'replicate', alpha: 'dropped' } : { features: 'raw csv columns', standardisation: 'folded into the first layer' };
  const bundle = await writeBundle(outDir, report, { saved, labels: data.classes, preprocess, task: spec.task });
  return { report, exitCode: exitCodeFor(gate, spec.gate.on_inconclusive), retentionDays: spec.output.retention_days, outDir, ...written, ...bundle };
}

function readBaseline(spec: ReturnType<typeof loadSpec>['spec'], root: string, cliPath?: string): LoadedBaseline | undefined {
  if (cliPath) return readBaselineFile(path.resolve(cliPath), cliPath);
  const b = spec.gate.baseline;
  if (b.from === 'file' && b.path) return readBaselineFile(path.join(root, b.path), b.path);
  return undefined;
}

export const VERSION = '0.1.0';
