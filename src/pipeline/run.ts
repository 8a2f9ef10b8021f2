// The whole flow, top to bottom: spec -> data -> features -> head -> test metrics -> gate ->
// report and bundle. The CLI and the Action both call runPipeline; only they touch the world.
import { VERSION } from '../defaults.js';
import path from 'node:path';
import { loadSpec, findRepoRoot } from '../spec/load.js';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { loadDataset } from '../data/load.js';
import { testSetFingerprint } from '../data/fingerprint.js';
import { computeFeatures } from './features.js';
import { trainBestHead } from '../sweep/stage.js';
import { resolveBaseline, type ArtifactLookup } from './baseline.js';
import { evaluateGate, exitCodeFor } from '../gate/evaluate.js';
import { buildFullModel, serialiseModel } from '../model/export.js';
import { writeBundle, writeReports, type WrittenOutputs } from './outputs.js';
import { defaultCacheDir } from '../features/cache.js';
import type { GateResult, Report } from '../domain/types.js';
import type { Logger } from '../util/log.js';
import { EXIT } from '../errors.js';
import { guardMemory } from './out-of-memory.js';
import { trainWithBatchFallback } from './batch-fallback.js';
import { trainingStarts } from './training-start.js';
import { gateConfigOf } from './gate-inputs.js';
import { checkpointDir, removeCheckpoint } from '../train/checkpoint.js';

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
  /** gate.baseline.from "artifact": how to find an earlier run's report (the Action passes one). */
  findArtifact?: ArtifactLookup;
  /** Aborted on a cancel: training stops, and the run still writes a report marked interrupted. */
  signal?: AbortSignal;
  /** Continue training from the checkpoint an interrupted or budget-stopped run left in the output dir. */
  resume?: boolean;
  /** Trials files (or folders) from `finetune sweep --shard`: merged, and their best trial trained and gated. */
  trials?: string[];
  /** The repository root where the caller knows it (the Action: its checkout); else found from the spec's folder. */
  workspace?: string;
}

export interface RunResult extends WrittenOutputs {
  report: Report;
  /** 0 pass, 1 gate failed, 3 when training was cancelled (the report is still written). */
  exitCode: 0 | 1 | 3;
  retentionDays: number;
}

export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const { log } = opts;
  const root = findRepoRoot(path.dirname(path.resolve(opts.specPath)), opts.workspace);
  const loaded = loadSpec(opts.specPath, { root });
  const { spec } = loaded;
  const backend = await selectBackend(opts.backend, log, root);
  const data = loadDataset(spec, root, log);
  log.info(`data: ${data.train.length} train, ${data.validation.length} validation, ${data.test.length} test examples, ${data.classes.length} classes`);
  const cacheDir = opts.noCache ? undefined : (opts.cacheDir ?? defaultCacheDir());
  const feats = await guardMemory('feature extraction', 'lower model.input.size, or use a backend with more memory (tensorflow, webgpu)', () =>
    computeFeatures(spec, root, data, { cacheDir, backend: backend.name }, log),
  );
  const outDir = path.resolve(opts.outDir ?? path.join(root, spec.output.dir));
  trainingStarts();
  const { trained, sweep } = await guardMemory('training', 'lower train.batch_size or model.head.hidden', () =>
    trainWithBatchFallback({ spec, backend: backend.name, log }, (s) =>
      trainBestHead({ spec: s, specSha256: loaded.sha256, data, feats, log, signal: opts.signal, checkpoint: { dir: checkpointDir(outDir), resume: opts.resume ?? false }, trials: opts.trials }),
    ),
  );
  const testPrint = testSetFingerprint(data.test, data.classes);
  const resolved = await resolveBaseline({
    spec, root, overridePath: opts.baselinePath, classes: data.classes, test: data.test, testSetSha256: testPrint.sha256, findArtifact: opts.findArtifact, log,
  });
  const gate = withMissingBaseline(
    evaluateGate(
      gateConfigOf(spec),
      { metrics: trained.metrics, labels: data.classes, predictions: trained.predictions, test_set_sha256: testPrint.sha256, repeat_metrics: trained.repeatMetrics },
      resolved.baseline?.model,
    ),
    resolved.missing,
  );
  const report: Report = {
    schema_version: 1,
    name: spec.name,
    verdict: gate.verdict,
    status: runStatus(trained.best.stopped),
    metrics: trained.metrics,
    per_class: trained.evaluation.perClass,
    confusion_matrix: trained.evaluation.confusion,
    baseline: resolved.report,
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
      trainable_params: trained.headParams + trained.baseTrainableParams,
      frozen_params: (feats.backbone?.params ?? 0) - trained.baseTrainableParams,
    },
    ...(trained.phaseTwo ? { finetune: trained.phaseTwo } : {}),
    predictions: trained.predictions,
    ...(trained.repeatMetrics.length > 1 ? { repeats: trained.repeatMetrics } : {}),
    ...(sweep ? { sweep } : {}),
    created_at: new Date().toISOString(),
  };
  const full = buildFullModel(trained.best.head, feats.backbone);
  const saved = await serialiseModel(full);
  report.timing.total_s = (Date.now() - started) / 1000;
  // Reports first: a failure while writing the bundle must not lose the verdict.
  const written = writeReports(outDir, report);
  const preprocess = feats.preprocess ? { ...feats.preprocess, input_order: 'NHWC', grayscale_to_rgb: 'replicate', alpha: 'dropped' } : { features: 'raw csv columns', standardisation: 'folded into the first layer' };
  const bundle = await writeBundle(outDir, report, { saved, labels: data.classes, preprocess, task: spec.task });
  // Only an interrupted or budget-stopped run has anything left to resume.
  if (report.status === 'complete') removeCheckpoint(checkpointDir(outDir));
  const exitCode = report.status === 'interrupted' ? EXIT.TRAINING_FAILED : exitCodeFor(gate, spec.gate.on_inconclusive);
  return { report, exitCode, retentionDays: spec.output.retention_days, outDir, ...written, ...bundle };
}

function runStatus(stopped: string): Report['status'] {
  if (stopped === 'interrupted') return 'interrupted';
  return stopped === 'budget_reached' ? 'budget_reached' : 'complete';
}

/** gate.baseline.first_run "fail": no baseline is a failed check, stated like the others. */
function withMissingBaseline(gate: GateResult, missing: string | undefined): GateResult {
  if (!missing) return gate;
  const check = { metric: 'baseline', value: NaN, status: 'fail' as const, reason: `${missing} gate.baseline.first_run is "fail".` };
  return { ...gate, verdict: 'fail', checks: [...gate.checks, check] };
}
