// Pipeline stage: the head that ships. Without a sweep it is trainRepeats as before; with one, the
// trials run here (or come from the shards' files) and the repeats train with the best trial's
// settings. Trials all use spec.seed, so the first repeat reproduces the best trial's head.
import type { Dataset } from '../data/types.js';
import { ConfigError, TrainingError } from '../errors.js';
import type { SweepReport, SweepTrialRow } from '../domain/types.js';
import type { Spec } from '../spec/schema.js';
import type { CheckpointOptions } from '../train/checkpoint.js';
import type { Logger } from '../util/log.js';
import { baseSha256, type FeatureStage } from '../pipeline/features.js';
import { trainRepeats, type RepeatsResult } from '../pipeline/repeats.js';
import { bestTrial } from './best.js';
import { sweepDataSha256 } from './fingerprint.js';
import { mergeTrials } from './merge.js';
import { planSweep, type SweepPlan } from './plan.js';
import { runTrials, trialTrainSettings } from './run-trials.js';
import { findTrialsFiles, readTrialsFile } from './trials-file.js';

export interface BestHeadInputs {
  spec: Spec;
  specSha256: string;
  data: Dataset;
  feats: FeatureStage;
  log: Logger;
  signal?: AbortSignal;
  checkpoint?: CheckpointOptions;
  /** Trials files (or folders of them) from `finetune sweep --shard`; default: run every trial here. */
  trials?: string[];
}

export async function trainBestHead(io: BestHeadInputs): Promise<{ trained: RepeatsResult; sweep?: SweepReport }> {
  const { spec, feats, data, log } = io;
  if (!spec.sweep) {
    if (io.trials?.length) throw new ConfigError('--trials: the spec has no sweep section, so there is nothing to merge');
    return { trained: await trainRepeats(spec, feats, data.classes, log, io.signal, io.checkpoint) };
  }
  const plan = planSweep(spec);
  const rows = io.trials?.length ? mergedRows(io, plan) : await trialsHere(io, plan);
  const best = bestTrial(rows, plan.metric, plan.mode);
  log.info(
    `sweep: best of ${rows.length} trials is ${best.index} (learning_rate ${best.learning_rate}, batch_size ${best.batch_size}, ${plan.metric} ${(best[plan.metric] as number).toFixed(4)}); training it`,
  );
  const tuned: Spec = { ...spec, train: trialTrainSettings(spec, best) };
  const trained = await trainRepeats(tuned, feats, data.classes, log, io.signal, io.checkpoint);
  return { trained, sweep: { metric: plan.metric, mode: plan.mode, method: plan.method, trials: rows, best: best.index } };
}

async function trialsHere(io: BestHeadInputs, plan: SweepPlan): Promise<SweepTrialRow[]> {
  const rows = await runTrials(plan.trials, {
    spec: io.spec,
    train: io.feats.train,
    validation: io.feats.validation,
    views: io.feats.trainViews,
    classes: io.data.classes,
    metric: plan.metric,
    log: io.log,
    signal: io.signal,
  });
  if (io.signal?.aborted)
    throw new TrainingError(`the sweep was cancelled after ${rows.length} of ${plan.trials.length} trials; nothing was gated`, {
      failure: 'interrupted',
    });
  return rows;
}

function mergedRows(io: BestHeadInputs, plan: SweepPlan): SweepTrialRow[] {
  const files = findTrialsFiles(io.trials as string[]).map((file) => ({ file, data: readTrialsFile(file) }));
  const fingerprint = {
    spec_sha256: io.specSha256,
    data_sha256: sweepDataSha256(io.data),
    base_model_sha256: baseSha256(io.feats),
    seed: io.spec.seed,
  };
  const rows = mergeTrials(files, { fingerprint, plan });
  io.log.info(`sweep: merged ${rows.length} trials from ${files.length} shard file${files.length === 1 ? '' : 's'}`);
  return rows;
}
