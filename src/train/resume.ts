// Between the loop and its checkpoint: what the epochs carry forward, saved after each one and put
// back on a resume into the trained variables, the optimizer and the watchers.
import type { EpochRecord } from '../domain/types.js';
import type { Logger } from '../util/log.js';
import { readCheckpoint, writeCheckpoint, type CheckpointOptions } from './checkpoint.js';
import type { TrainingFingerprint } from './checkpoint-fingerprint.js';
import type { EpochContext } from './epoch.js';
import { restoreVariables, snapshotVariables } from './trainee.js';
import type { Watchers } from './watchers.js';

export interface Progress {
  history: EpochRecord[];
  /** Weights of the best epoch so far. */
  best: Float32Array[];
  /** 1-based epoch to run next. */
  nextEpoch: number;
  earlyStopped: boolean;
  /** Training seconds spent before this process took over. */
  priorSeconds: number;
}

export type Checkpointing = CheckpointOptions & { fingerprint: TrainingFingerprint };

/** Fresh progress, or that of a matching checkpoint, whose state then replaces the fresh one. */
export async function startProgress(ctx: EpochContext, watch: Watchers, ckpt: Checkpointing | undefined, log: Logger): Promise<Progress> {
  const fresh: Progress = { history: [], best: await snapshotVariables(ctx.vars), nextEpoch: 1, earlyStopped: false, priorSeconds: 0 };
  if (!ckpt?.resume) return fresh;
  const saved = readCheckpoint(ckpt.dir, ckpt.fingerprint);
  if (!saved) {
    log.warn(`--resume: no checkpoint in ${ckpt.dir}; training from the first epoch`);
    return fresh;
  }
  restoreVariables(ctx.vars, saved.weights);
  ctx.steps.optimizer.setState(saved.optimizer);
  watch.restore(saved);
  ctx.plateauScale = watch.plateauScale();
  log.info(`resuming from the checkpoint in ${ckpt.dir}: ${saved.history.length} epochs done`);
  return {
    history: saved.history,
    best: saved.best,
    nextEpoch: saved.nextEpoch,
    earlyStopped: saved.earlyStopped,
    priorSeconds: saved.seconds,
  };
}

export async function saveProgress(ctx: EpochContext, watch: Watchers, ckpt: Checkpointing, p: Progress, seconds: number): Promise<void> {
  await writeCheckpoint(ckpt.dir, ckpt.fingerprint, {
    nextEpoch: p.nextEpoch,
    earlyStopped: p.earlyStopped,
    seconds,
    history: p.history,
    best: p.best,
    ...watch.state(),
    optimizer: await ctx.steps.optimizer.getState(),
    weights: await snapshotVariables(ctx.vars),
  });
}
