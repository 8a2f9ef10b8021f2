// The whole flow, top to bottom: spec -> data -> features -> head -> test metrics -> gate ->
// report and bundle. The CLI and the Action both call runPipeline; only they touch the world.
import { VERSION } from '../defaults.js';
import path from 'node:path';
import { loadSpec, findRepoRoot } from '../spec/load.js';
import { selectBackend, trainedOn, type BackendChoice } from '../backend/select.js';
import { loadDataset } from '../data/load.js';
import { testSetFingerprint } from '../data/fingerprint.js';
import { baseSha256, computeFeatures, isGraphBackbone } from './features.js';
import type { Backbone } from '../model/backbone.js';
import { graphBaseFiles, graphBaseRef } from '../model/graph-bundle.js';
import { trainBestHead } from '../sweep/stage.js';
import { resolveBaseline, type ArtifactLookup } from './baseline.js';
import { evaluateGate, exitCodeFor } from '../gate/evaluate.js';
import { buildFullModel, serialiseModel } from '../model/export.js';
import { writeBundle, writeReports, type WrittenOutputs } from './outputs.js';
import { defaultCacheDir } from '../features/cache.js';
import type { GateResult, Report, RunProvenance } from '../domain/types.js';
import type { Logger } from '../util/log.js';
import { EXIT } from '../errors.js';
import { guardMemory } from './out-of-memory.js';
import { trainWithBatchFallback } from './batch-fallback.js';
import { trainingStarts } from './training-start.js';
import { gateConfigOf } from './gate-inputs.js';
import { checkpointDir, removeCheckpoint } from '../train/checkpoint.js';
import { buildFailureReport, failureOf } from './training-failure.js';

export interface RunOptions {
  specPath: string;
  /** Overrides output.dir; relative to the current directory, may point anywhere. */
  outDir?: string;
  backend: BackendChoice;
  /** require-gpu: exit 2 rather than train on the CPU. */
  requireGpu?: boolean;
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
  /** The workflow run this runs in (the Action passes it): recorded in the report and the model card. */
  run?: RunProvenance;
  /** The repository root where the caller knows it (the Action: its checkout); else found from the spec's folder. */
  workspace?: string;
}

export interface RunResult extends WrittenOutputs {
  report: Report;
  /** 0 pass, 1 gate failed, 3 when training was cancelled or failed (the report is still written). */
  exitCode: 0 | 1 | 3;
  retentionDays: number;
}

export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const { log } = opts;
  const root = findRepoRoot(path.dirname(path.resolve(opts.specPath)), opts.workspace);
  const loaded = loadSpec(opts.specPath, { root });
  const { spec } = loaded;
  const backend = await selectBackend(opts.backend, log, root, { requireGpu: opts.requireGpu });
  const data = loadDataset(spec, root, log);
  log.info(
    `data: ${data.train.length} train, ${data.validation.length} validation, ${data.test.length} test examples, ${data.classes.length} classes`,
  );
  const cacheDir = opts.noCache ? undefined : (opts.cacheDir ?? defaultCacheDir());
  const outDir = path.resolve(opts.outDir ?? path.join(root, spec.output.dir));
  let stages;
  try {
    const feats = await guardMemory(
      'feature extraction',
      'lower model.input.size, or use a backend with more memory (tensorflow, webgpu)',
      () => computeFeatures(spec, root, data, { cacheDir, backend: backend.name, signal: opts.signal }, log),
    );
    trainingStarts();
    const { trained, sweep } = await guardMemory('training', 'lower train.batch_size or model.head.hidden', () =>
      trainWithBatchFallback({ spec, backend: backend.name, log }, (s) =>
        trainBestHead({
          spec: s,
          specSha256: loaded.sha256,
          data,
          feats,
          log,
          signal: opts.signal,
          checkpoint: { dir: checkpointDir(outDir), resume: opts.resume ?? false },
          trials: opts.trials,
        }),
      ),
    );
    stages = { feats, trained, sweep };
  } catch (err) {
    // Exit 3 still leaves report.json: what happened, the epochs reached and the error.
    const failed = failureOf(err);
    if (!failed) throw err;
    const id = { name: spec.name, specSha256: loaded.sha256, seed: spec.seed, base: spec.model.base ?? 'none' };
    const report: Report = {
      ...buildFailureReport(id, { ...failed, backend: backend.name, seconds: (Date.now() - started) / 1000 }),
      ...provenance(opts),
    };
    log.warn(
      `training failed (${failed.failure.replaceAll('_', ' ')}): the report records the error and the ${failed.history.length} epochs reached`,
    );
    return { report, exitCode: EXIT.TRAINING_FAILED, retentionDays: spec.output.retention_days, outDir, ...writeReports(outDir, report) };
  }
  const { feats, trained, sweep } = stages;
  const testPrint = testSetFingerprint(data.test, data.classes);
  const resolved = await resolveBaseline({
    spec,
    root,
    overridePath: opts.baselinePath,
    classes: data.classes,
    test: data.test,
    testSetSha256: testPrint.sha256,
    findArtifact: opts.findArtifact,
    cacheDir,
    log,
  });
  const gate = withMissingBaseline(
    evaluateGate(
      gateConfigOf(spec),
      {
        metrics: trained.metrics,
        labels: data.classes,
        predictions: trained.predictions,
        test_set_sha256: testPrint.sha256,
        repeat_metrics: trained.repeatMetrics,
      },
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
      base_model_sha256: baseSha256(feats),
      backend: backend.name,
      device: trainedOn(backend),
      ...(backend.gpuFallback ? { gpu_fallback: backend.gpuFallback } : {}),
      seed: spec.seed,
      versions: { 'finetune-action': VERSION, ...backend.versions },
    },
    timing: { total_s: 0, features_s: feats.seconds, train_s: trained.trainSeconds, eval_s: trained.evalSeconds },
    data: {
      train: data.train.length,
      validation: data.validation.length,
      test: data.test.length,
      classes: data.classes,
      skipped_files: data.skipped,
    },
    model: {
      base: spec.model.base ?? 'none',
      cut: feats.backbone?.cut ?? 'none',
      feature_dim: feats.train.x.dim,
      trainable_params: trained.headParams + trained.baseTrainableParams,
      frozen_params: (feats.backbone?.params ?? feats.text?.base.frozenParams ?? 0) - trained.baseTrainableParams,
    },
    ...(trained.phaseTwo ? { finetune: trained.phaseTwo } : {}),
    predictions: trained.predictions,
    ...(trained.repeatMetrics.length > 1 ? { repeats: trained.repeatMetrics } : {}),
    ...(sweep ? { sweep } : {}),
    ...(feats.text ? { text: feats.text.report } : {}),
    created_at: new Date().toISOString(),
    ...provenance(opts),
  };
  // A GraphModel base cannot join the head in one LayersModel: the bundle carries the graph beside it.
  const graphBase = feats.backbone && isGraphBackbone(feats.backbone) ? feats.backbone : undefined;
  const full = buildFullModel(trained.best.head, graphBase ? undefined : (feats.backbone as Backbone | undefined));
  const saved = await serialiseModel(full);
  report.timing.total_s = (Date.now() - started) / 1000;
  // Reports first: a failure while writing the bundle must not lose the verdict.
  const written = writeReports(outDir, report);
  const image = feats.preprocess && { ...feats.preprocess, input_order: 'NHWC', grayscale_to_rgb: 'replicate', alpha: 'dropped' };
  const preprocess =
    feats.text?.preprocess ??
    (image
      ? { ...image, ...(graphBase && feats.source ? { base: graphBaseRef(graphBase, feats.source) } : {}) }
      : { features: 'raw csv columns', standardisation: 'folded into the first layer' });
  const files = graphBase && feats.source ? graphBaseFiles(feats.source) : undefined;
  const bundle = await writeBundle(outDir, report, { saved, labels: data.classes, preprocess, task: spec.task, files });
  graphBase?.graph.dispose();
  // Only an interrupted or budget-stopped run has anything left to resume.
  if (report.status === 'complete') removeCheckpoint(checkpointDir(outDir));
  const exitCode = report.status === 'interrupted' ? EXIT.TRAINING_FAILED : exitCodeFor(gate, spec.gate.on_inconclusive);
  return { report, exitCode, retentionDays: spec.output.retention_days, outDir, ...written, ...bundle };
}

const provenance = (opts: RunOptions): { run?: RunProvenance } => (opts.run ? { run: opts.run } : {});

function runStatus(stopped: string): Report['status'] {
  if (stopped === 'interrupted') return 'interrupted';
  return stopped === 'budget_reached' ? 'budget_reached' : 'complete';
}

/** gate.baseline.first_run "fail": no baseline is a failed check, stated like the others. */
export function withMissingBaseline(gate: GateResult, missing: string | undefined): GateResult {
  if (!missing) return gate;
  const check = { metric: 'baseline', value: NaN, status: 'fail' as const, reason: `${missing} gate.baseline.first_run is "fail".` };
  return { ...gate, verdict: 'fail', checks: [...gate.checks, check] };
}
