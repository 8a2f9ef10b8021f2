// `finetune sweep`: one shard's trials on one machine of a matrix, written to trials.json for the
// merge job. Only train and validation are featurised: the test set plays no part in a sweep.
import path from 'node:path';
import { findRepoRoot, loadSpec } from '../spec/load.js';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { loadDataset } from '../data/load.js';
import { baseSha256, computeFeatures } from '../pipeline/features.js';
import { guardMemory } from '../pipeline/out-of-memory.js';
import { defaultCacheDir } from '../features/cache.js';
import { ConfigError, TrainingError } from '../errors.js';
import { trainingStarts } from '../pipeline/training-start.js';
import type { Logger } from '../util/log.js';
import { sweepDataSha256 } from './fingerprint.js';
import { planSweep, shardTrials, type Shard } from './plan.js';
import { runTrials } from './run-trials.js';
import { trialsFile, writeTrialsFile, type TrialsFile } from './trials-file.js';

export interface SweepShardOptions {
  specPath: string;
  shard: Shard;
  /** Where trials.json goes; default `<output.dir>/sweep` under the repository root. */
  outDir?: string;
  backend: BackendChoice;
  /** require-gpu: exit 2 rather than run the trials on the CPU. */
  requireGpu?: boolean;
  noCache?: boolean;
  cacheDir?: string;
  log: Logger;
  signal?: AbortSignal;
  /** The repository root where the caller knows it (the Action: its checkout); else found from the spec's folder. */
  workspace?: string;
}

export async function runSweepShard(opts: SweepShardOptions): Promise<{ file: string; trials: TrialsFile }> {
  const { log } = opts;
  const root = findRepoRoot(path.dirname(path.resolve(opts.specPath)), opts.workspace);
  const loaded = loadSpec(opts.specPath, { root });
  const { spec } = loaded;
  if (!spec.sweep)
    throw new ConfigError(`finetune sweep: ${path.relative(process.cwd(), loaded.specPath) || loaded.specPath} has no sweep section`);
  const plan = planSweep(spec);
  const mine = shardTrials(plan.trials, opts.shard);
  log.info(
    `sweep: ${plan.trials.length} trials (${plan.method}, ranked on ${plan.metric}); shard ${opts.shard.index}/${opts.shard.count} runs ${mine.length}: ${mine.map((t) => t.index).join(', ') || 'none'}`,
  );
  const backend = await selectBackend(opts.backend, log, root, { requireGpu: opts.requireGpu });
  const data = loadDataset(spec, root, log);
  const cacheDir = opts.noCache ? undefined : (opts.cacheDir ?? defaultCacheDir());
  const feats = await guardMemory(
    'feature extraction',
    'lower model.input.size, or use a backend with more memory (tensorflow, webgpu)',
    () => computeFeatures(spec, root, { ...data, test: [] }, { cacheDir, backend: backend.name, signal: opts.signal }, log),
  );
  trainingStarts();
  const rows = await guardMemory('training', "lower the sweep's batch sizes or model.head.hidden", () =>
    runTrials(mine, {
      spec,
      train: feats.train,
      validation: feats.validation,
      views: feats.trainViews,
      classes: data.classes,
      metric: plan.metric,
      log,
      signal: opts.signal,
      shard: opts.shard.index,
    }),
  );
  // A shard cut short writes nothing: the merge then names it as missing rather than ranking half of it.
  if (opts.signal?.aborted)
    throw new TrainingError(`the sweep shard was cancelled after ${rows.length} of ${mine.length} trials; no trials file was written`, {
      failure: 'interrupted',
    });
  const trials = trialsFile({
    name: spec.name,
    fingerprint: {
      spec_sha256: loaded.sha256,
      data_sha256: sweepDataSha256(data),
      base_model_sha256: baseSha256(feats),
      backend: backend.name,
      seed: spec.seed,
    },
    method: plan.method,
    metric: plan.metric,
    mode: plan.mode,
    plan: plan.trials,
    shard: opts.shard,
    trials: rows,
  });
  const outDir = path.resolve(opts.outDir ?? path.join(root, spec.output.dir, 'sweep'));
  return { file: writeTrialsFile(outDir, trials), trials };
}
