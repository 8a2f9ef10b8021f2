// Phase two of two-phase fine-tuning: the unfrozen top of the base and the phase-one head train on
// together at a lower rate, from the split activations the frozen lower part produced once. The
// phase is kept only when it beats phase one on the validation metric; otherwise both the base and
// the head go back to where phase one left them.
import { createHash } from 'node:crypto';
import { tf } from '../backend/tf.js';
import type { SplitBase } from '../model/split.js';
import { compile } from '../model/inference.js';
import type { EpochRecord, PhaseTwoReport } from '../domain/types.js';
import type { Spec } from '../spec/schema.js';
import { FINETUNE_DEFAULTS } from '../spec/schema-train.js';
import { trainingFingerprint } from './checkpoint-fingerprint.js';
import type { LabelledFeatures } from './epoch.js';
import { resolveMode } from './early-stopping.js';
import type { Head } from './head.js';
import { fitTrainee, type FitOptions, type TrainResult } from './loop.js';
import { resolveTrainSettings, type TrainSettings } from './settings.js';
import { headTrainee, restoreVariables, snapshotVariables, type Trainee } from './trainee.js';

/** Split activations per image at 6x6x96 are small; through the upper blocks, memory grows fast. */
const EVAL_BATCH = 128;

/** Which phase's weights were kept: phase two only when it beat phase one on validation. */
export type PhaseTwoSummary = PhaseTwoReport;

/** The upper part (BatchNorm in inference mode), global average pooling (as the features were pooled), then the head. */
export function topTrainee(split: SplitBase, head: Head): Trainee {
  // BatchNorm folded into the convolutions inside the tape: its scale and offset train through
  // ops on the weights, not through extra passes over the activations.
  const upper = compile(split.upper, { trainable: true });
  const top = headTrainee(head);
  return {
    variables: [...split.variables, ...top.variables],
    numClasses: top.numClasses,
    logits: (x, opts) => {
      const y = upper.run(x);
      return top.logits((y.rank === 4 ? y.mean([1, 2]) : y) as tf.Tensor2D, opts);
    },
    evalBatch: EVAL_BATCH,
  };
}

/** train.finetune over train: the phase-two rate, epochs and batch; the budget is what phase one left. */
export function phaseTwoSettings(train: Spec['train'], phaseOneSeconds: number): TrainSettings {
  const base = resolveTrainSettings(train);
  const ft = train.finetune;
  const learningRate = ft?.learning_rate ?? train.learning_rate / FINETUNE_DEFAULTS.rateDivisor;
  const minLr = base.schedule.min_lr < learningRate ? base.schedule.min_lr : 0;
  return {
    ...base,
    epochs: ft?.epochs ?? FINETUNE_DEFAULTS.epochs,
    learning_rate: learningRate,
    batch_size: ft?.batch_size ?? train.batch_size,
    schedule: { ...base.schedule, min_lr: minLr },
    max_minutes: Math.max(base.max_minutes - phaseOneSeconds / 60, 1e-6),
  };
}

export interface PhaseTwoInput {
  split: SplitBase;
  head: Head;
  phaseOne: TrainResult;
  /** Split activations of the training and validation images. */
  train: LabelledFeatures;
  validation: LabelledFeatures;
  spec: Spec['train'];
  /** Early stopping as phase one used it (off without validation data). */
  earlyStopping: Spec['train']['early_stopping'];
}

export async function trainTop(input: PhaseTwoInput, opts: FitOptions): Promise<{ result: TrainResult; summary: PhaseTwoSummary }> {
  const { split, head, phaseOne } = input;
  const settings = { ...phaseTwoSettings(input.spec, phaseOne.seconds), early_stopping: input.earlyStopping };
  const trainee = topTrainee(split, head);
  const before = await snapshotVariables(trainee.variables);
  opts.log.info(
    `phase two: ${split.trainableLayers.length} base layers unfrozen (${split.trainableLayers[0]} .. ${split.trainableLayers[split.trainableLayers.length - 1]}), ` +
      `${settings.epochs} epochs at learning rate ${settings.learning_rate}, batch ${settings.batch_size}`,
  );
  const fingerprint = {
    ...trainingFingerprint({
      settings,
      shape: { inputDim: input.train.x.dim, hidden: head.layers.slice(0, -1).map((l) => l.bias.shape[0]), numClasses: trainee.numClasses },
      dropout: opts.head.dropout,
      labels: opts.labels,
      seed: opts.seed,
      train: input.train,
      val: input.validation,
    }),
    'model.trainable': JSON.stringify(split.trainableLayers),
    'phase one weights': weightsDigest(before),
  };
  const firstEpoch = phaseOne.history.length + 1;
  const run = await fitTrainee(
    trainee,
    input.train,
    input.validation,
    settings,
    { ...opts, firstEpoch, phase: 2, seedLabel: 'phase-two-epoch', hasFallback: true },
    fingerprint,
  );
  const improved = phaseTwoImproved(phaseOne, run.history, run.bestEpoch, settings);
  if (!improved) {
    restoreVariables(trainee.variables, before);
    opts.log.info('phase two did not beat phase one on the validation metric: keeping the phase-one weights');
  }
  const history = [...phaseOne.history, ...run.history];
  const result: TrainResult = {
    head,
    history,
    bestEpoch: improved ? run.bestEpoch : phaseOne.bestEpoch,
    stopped: run.stopped === 'completed' || run.stopped === 'early_stopping' ? phaseOne.stopped : run.stopped,
    seconds: phaseOne.seconds + run.seconds,
  };
  const summary: PhaseTwoSummary = {
    trainable_layers: split.trainableLayers,
    split: split.split,
    epochs: run.history.length,
    learning_rate: settings.learning_rate,
    batch_size: settings.batch_size,
    best_epoch: run.bestEpoch,
    kept: improved ? 'phase_two' : 'phase_one',
    seconds: run.seconds,
  };
  return { result, summary };
}

/** Compares the best epochs of the two phases on the early-stopping metric (phase two wins without one). */
function phaseTwoImproved(one: TrainResult, two: EpochRecord[], bestTwo: number, s: TrainSettings): boolean {
  const bestTwoRecord = two.find((r) => r.epoch === bestTwo);
  if (!bestTwoRecord) return false;
  if (s.early_stopping === false) return true;
  const monitor = s.early_stopping.monitor;
  const mode = resolveMode(s.early_stopping);
  const a = one.history.find((r) => r.epoch === one.bestEpoch)?.[monitor] ?? NaN;
  const b = bestTwoRecord[monitor] ?? NaN;
  if (!Number.isFinite(a)) return Number.isFinite(b);
  return mode === 'max' ? b > a : b < a;
}

function weightsDigest(arrays: Float32Array[]): string {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}
