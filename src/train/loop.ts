// Our own seeded training loop for the head. model.fit shuffles with Math.random and cannot
// restore the best epoch, so a CI gate that must be reproducible cannot use it.
import { tf } from '../backend/tf.js';
import { TrainingError } from '../errors.js';
import type { FeatureMatrix } from '../features/extract.js';
import type { EpochRecord } from '../report/types.js';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { createRng, deriveSeed, permutation } from '../util/random.js';
import { initialState, observe, resolveMode } from './early-stopping.js';
import { evaluateHead } from './evaluate.js';
import { featureStats, headLogits, headVariables, initHead, restoreHead, snapshotHead, type Head } from './head.js';
import { createOptimizer } from './optimizer.js';

export interface LabelledFeatures {
  x: FeatureMatrix;
  y: Int32Array;
}

export interface TrainOptions {
  train: Spec['train'];
  head: { hidden: number[]; dropout: number };
  labels: string[];
  seed: number;
  log: Logger;
  now?: () => number;
}

export interface TrainResult {
  head: Head;
  history: EpochRecord[];
  bestEpoch: number;
  stopped: 'completed' | 'early_stopping' | 'budget_reached';
  seconds: number;
}

export async function trainHead(train: LabelledFeatures, val: LabelledFeatures, opts: TrainOptions): Promise<TrainResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const cfg = opts.train;
  const norm = featureStats(train.x.data, train.x.rows, train.x.dim);
  const head = initHead({ inputDim: train.x.dim, hidden: opts.head.hidden, numClasses: opts.labels.length }, norm, opts.seed);
  const { optimizer, afterStep } = createOptimizer(cfg.optimizer, cfg.learning_rate);
  const es = cfg.early_stopping === false ? undefined : cfg.early_stopping;
  const mode = es ? resolveMode(es) : 'max';
  let state = initialState(mode);
  let best = snapshotHead(head);
  const history: EpochRecord[] = [];
  let stopped: TrainResult['stopped'] = 'completed';
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const epochStart = now();
      const loss = runEpoch(head, train, optimizer, afterStep, cfg, opts.head.dropout, deriveSeed(opts.seed, 'epoch', epoch));
      const record = await epochRecord(head, val, opts.labels, epoch, loss);
      history.push(record);
      const monitored = es ? record[es.monitor] : epoch;
      if (monitored === undefined) throw new TrainingError(`train.early_stopping.monitor: "${es?.monitor}" is not computed per epoch`);
      const step = es ? observe(state, monitored, epoch, es, mode) : { state: { ...state, bestEpoch: epoch }, improved: true, stop: false };
      state = step.state;
      if (step.improved) best = snapshotHead(head);
      logEpoch(opts.log, record, cfg.epochs, (now() - epochStart) / 1000, (now() - started) / 1000, step.improved);
      if (step.stop) { stopped = 'early_stopping'; break; }
      if ((now() - started) / 60000 > cfg.max_minutes && epoch < cfg.epochs) { stopped = 'budget_reached'; break; }
    }
  } finally {
    optimizer.dispose();
  }
  restoreHead(head, best);
  return { head, history, bestEpoch: state.bestEpoch, stopped, seconds: (now() - started) / 1000 };
}

function runEpoch(
  head: Head,
  data: LabelledFeatures,
  optimizer: tf.Optimizer,
  afterStep: (vars: tf.Variable[], lr: number) => void,
  cfg: Spec['train'],
  dropout: number,
  seed: number,
): number {
  const { x, y } = data;
  const order = permutation(x.rows, createRng(seed));
  const vars = headVariables(head);
  const k = head.layers[head.layers.length - 1].bias.shape[0];
  let total = 0;
  for (let start = 0, step = 0; start < x.rows; start += cfg.batch_size, step++) {
    const idx = order.subarray(start, Math.min(start + cfg.batch_size, x.rows));
    const xb = gatherRows(x, idx);
    const yb = Int32Array.from(idx, (i) => y[i]);
    const loss = tf.tidy(() => {
      const xt = tf.tensor2d(xb, [idx.length, x.dim]);
      const yt = tf.oneHot(tf.tensor1d(yb, 'int32'), k);
      const stepSeed = deriveSeed(seed, 'dropout', step);
      const lossFn = () => tf.losses.softmaxCrossEntropy(yt, headLogits(head, xt, { dropout, dropoutSeed: stepSeed })) as tf.Scalar;
      return optimizer.minimize(lossFn, true, vars) as tf.Scalar;
    });
    const value = loss.dataSync()[0];
    loss.dispose();
    if (!Number.isFinite(value)) {
      throw new TrainingError(`training diverged: the loss became ${value} at step ${step + 1}; try a lower train.learning_rate (now ${cfg.learning_rate})`);
    }
    afterStep(vars, cfg.learning_rate);
    total += value * idx.length;
  }
  return total / x.rows;
}

function gatherRows(x: FeatureMatrix, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * x.dim);
  idx.forEach((r, i) => out.set(x.data.subarray(r * x.dim, (r + 1) * x.dim), i * x.dim));
  return out;
}

async function epochRecord(head: Head, val: LabelledFeatures, labels: string[], epoch: number, loss: number): Promise<EpochRecord> {
  const record: EpochRecord = { epoch, loss, val_loss: NaN };
  if (val.x.rows === 0) return record;
  const ev = await evaluateHead(head, val.x, val.y, labels);
  record.val_loss = ev.loss;
  for (const [name, value] of Object.entries(ev.metrics)) record[`val_${name}`] = value;
  return record;
}

function logEpoch(log: Logger, r: EpochRecord, epochs: number, secs: number, elapsed: number, improved: boolean): void {
  const eta = (elapsed / r.epoch) * (epochs - r.epoch);
  const val = Number.isFinite(r.val_loss) ? ` val_loss ${r.val_loss.toFixed(4)} val_accuracy ${r.val_accuracy?.toFixed(4)} val_f1_macro ${r.val_f1_macro?.toFixed(4)}` : '';
  log.progress(`epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}${val} (${secs.toFixed(1)} s, ETA ${eta.toFixed(0)} s)${improved ? ' *' : ''}`);
}
